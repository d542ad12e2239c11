//! End-to-end tests against the real stack: the service on a free port, its own Postgres
//! database and Redis namespace, real Tesseract and pdfium. One binary, a module per feature.

mod auth;
mod billing;
mod chat;
mod clients;
mod contract;
mod engines;
mod errors;
mod exports;
mod faults;
mod formats;
mod history;
mod hostile;
mod kill;
mod languages;
mod logs;
mod pipeline;
mod quality;
mod speed;
mod support;
mod tools;
mod vlm;
mod web;
mod webhooks;
