"""Quantises PP-OCRv6's text recogniser to int8, once, at install time (`scripts/deps.sh ppocr`).

Usage: python quantise_recogniser.py SOURCE.onnx TARGET.onnx

Why: 70% of the recogniser's time is its convolutions, and on x86 CPUs with VNNI ONNX Runtime
runs them in int8 about twice as fast. Static quantisation (QDQ, weights per channel) needs the
range of every activation, so the model is calibrated on text lines drawn here: words from the
licence texts every Debian system carries (/usr/share/common-licenses), in the DejaVu and Noto
fonts `scripts/deps.sh system` installs, at sizes, inks and backgrounds like those of scans and
photos (light tints, blur, noise), fed exactly as the engine feeds crops (BGR, height 48, width
padded to the batch's widest, values in [-1, 1]). Nothing of the corpus is used. Seeds are fixed,
so a machine quantises the same way every time.

Weights are quantised to 7 bits (`reduce_range`), so the model computes the same on every x86
CPU. Without VNNI (AVX2, or AVX-512 before Cascade Lake) ONNX Runtime multiplies uint8 by int8
with VPMADDUBSW, which saturates pairs of products at 16 bits. With 8-bit weights that changes
readings on such CPUs, the likeliest reason one machine read handwriting at 24% CER and a receipt
at 17% with the same 8-bit model that reads them at 19% and 12% on another. With 7-bit weights
a pair cannot exceed the 16 bits: under valgrind, which offers no AVX-512 and so sends ONNX
Runtime down the AVX2 path, the 7-bit model's outputs were identical to the VNNI machine's (max
difference 0.0000 on 12 lines), where the 8-bit model's agreed on only 97.2% of time steps. It reads as well:
argmax agreement with the float model 97.4% (8-bit: 97.1%).

Measured on the developer corpus (`cargo bench -p workers --bench ocr`, 2 threads): PP-OCR
0.40 -> 0.64 pages/s, CER 4.84% -> 5.06%. Quantising the detector as well was tried and left
out: 2% faster than the int8 recogniser alone, handwriting 19.0% -> 21.7% beside it.

Runs in a venv of its own (onnx, onnxruntime, numpy, pillow, versions pinned by deps.sh); the
service never runs Python.
"""

import glob
import os
import random
import re
import sys
import tempfile

import numpy as np
from onnx import TensorProto, load, numpy_helper, save, version_converter
from onnx.helper import make_tensor_value_info
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HEIGHT = 48  # the recogniser's input height (workers/src/engine/ppocr/recognise.rs)
MIN_WIDTH = 320  # the narrowest batch width the engine feeds
BATCH = 6  # the engine's batch size
LINES = 240


def words() -> list[str]:
    found: list[str] = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="ignore") as f:
                found += f.read().split()
    if len(found) < 1000:
        sys.exit("quantise_recogniser: no calibration text in /usr/share/common-licenses")
    return found


# Named files, not a glob: which fonts a machine has depends on what else is installed (LibreOffice
# brings fonts-dejavu-extra's condensed and light faces), and calibrating on a different set made a
# different model (handwriting 27% CER instead of 20% on a machine with the extra faces).
FONTS = [
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSans-Bold.ttf",
    "dejavu/DejaVuSansMono.ttf",
    "dejavu/DejaVuSansMono-Bold.ttf",
    "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSerif-Bold.ttf",
    "noto/NotoSans-Regular.ttf",
    "noto/NotoSans-Bold.ttf",
    "noto/NotoSans-Italic.ttf",
    "noto/NotoSans-BoldItalic.ttf",
    "noto/NotoSerif-Regular.ttf",
    "noto/NotoSerif-Bold.ttf",
    "noto/NotoSerif-Italic.ttf",
    "noto/NotoSerif-BoldItalic.ttf",
]


def fonts() -> list[str]:
    found = [
        f"/usr/share/fonts/truetype/{name}"
        for name in FONTS
        if os.path.isfile(f"/usr/share/fonts/truetype/{name}")
    ]
    if len(found) != len(FONTS):
        missing = sorted(set(FONTS) - {f.split("truetype/")[1] for f in found})
        sys.exit(f"quantise_recogniser: fonts missing ({', '.join(missing)}): scripts/deps.sh system installs them")
    return found


def lines(rng: random.Random, vocabulary: list[str], faces: list[str]) -> list[np.ndarray]:
    out = []
    for _ in range(LINES):
        k = rng.randint(1, 10)
        start = rng.randrange(len(vocabulary) - k)
        text = vocabulary[start : start + k]
        if rng.random() < 0.4:
            text.append(f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}")
        if rng.random() < 0.2:
            text = [w.upper() for w in text]
        text = " ".join(text)
        font = ImageFont.truetype(rng.choice(faces), rng.randint(18, 64))
        x0, y0, x1, y1 = font.getbbox(text)
        pad = rng.randint(2, 12)
        background = rng.choice([255, 250, 240, 225, 205])
        tint = tuple(max(0, min(255, background + rng.randint(-15, 5))) for _ in range(3))
        image = Image.new("RGB", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), tint)
        ink = rng.randint(0, 90)
        ImageDraw.Draw(image).text((pad - x0, pad - y0), text, font=font, fill=(ink, ink, ink))
        if rng.random() < 0.4:
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
        pixels = np.asarray(image).astype(np.float32)
        if rng.random() < 0.4:
            noise = np.random.default_rng(rng.randrange(1 << 30))
            pixels += noise.normal(0, rng.uniform(3, 15), pixels.shape)
        out.append(np.clip(pixels, 0, 255)[:, :, ::-1])  # BGR, as the engine feeds it
    return out


def batch(crops: list[np.ndarray]) -> np.ndarray:
    ratios = [c.shape[1] / c.shape[0] for c in crops]
    width = int(HEIGHT * max(max(ratios), MIN_WIDTH / HEIGHT))
    tensor = np.zeros((len(crops), 3, HEIGHT, width), np.float32)
    for i, (crop, ratio) in enumerate(zip(crops, ratios)):
        w = min(width, max(1, int(np.ceil(HEIGHT * ratio))))
        resized = Image.fromarray(crop.astype(np.uint8)).resize((w, HEIGHT), Image.BILINEAR)
        normalised = (np.asarray(resized).astype(np.float32) / 255 - 0.5) / 0.5
        tensor[i, :, :, :w] = normalised.transpose(2, 0, 1)
    return tensor


class Reader(CalibrationDataReader):
    def __init__(self, batches: list[np.ndarray]):
        self.batches = iter(batches)

    def get_next(self):
        tensor = next(self.batches, None)
        return None if tensor is None else {"x": tensor}


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, target = sys.argv[1], sys.argv[2]
    rng = random.Random(20261204)
    crops = sorted(lines(rng, words(), fonts()), key=lambda c: c.shape[1] / c.shape[0])
    batches = [batch(crops[i : i + BATCH]) for i in range(0, len(crops), BATCH)]
    with tempfile.TemporaryDirectory() as scratch:
        # The wheel's model is opset 11; per-channel QDQ needs opset 13 or later.
        opset17 = os.path.join(scratch, "opset17.onnx")
        save(version_converter.convert_version(load(source), 17), opset17)
        prepared = os.path.join(scratch, "prepared.onnx")
        quant_pre_process(opset17, prepared, skip_symbolic_shape=True)
        # The output softmax is not quantised (8 bits would round its probabilities, the
        # confidences the service reports, to steps of 1/255); it is then left to the engine.
        softmax = [n.name for n in load(prepared).graph.node if n.op_type == "Softmax"]
        quantize_static(
            prepared,
            target,
            Reader(batches),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=softmax[-1:],
            # 7-bit weights: no 16-bit saturation on CPUs without VNNI (see the top).
            reduce_range=True,
        )
    model = load(target)
    if not any(p.key == "character" for p in model.metadata_props):
        sys.exit("quantise_recogniser: the dictionary (metadata `character`) was lost")
    end_at_logits(model)
    save(model, target)


def end_at_logits(model) -> None:
    """Makes the model end at its 8-bit logits: the last DequantizeLinear and the Softmax go.

    The logits are quantised to 8 bits anyway (the output layer is int8), so the engine can take
    the softmax of the same 256 levels itself, from a histogram of each time step's bytes: the
    same probabilities (to float rounding) and the same most likely symbol. It saves ONNX Runtime
    dequantising and normalising 18,710 classes per time step (an eighth of the recogniser's
    time) and the engine reading four times fewer bytes. The scale of the logits goes into the
    metadata as `logit_scale`; the zero point cancels out of a softmax."""
    graph = model.graph
    softmax, dequantise = graph.node[-1], graph.node[-2]
    if (
        softmax.op_type != "Softmax"
        or dequantise.op_type != "DequantizeLinear"
        or softmax.input[0] != dequantise.output[0]
        or [o.name for o in graph.output] != [softmax.output[0]]
    ):
        sys.exit("quantise_recogniser: the model does not end in DequantizeLinear -> Softmax")
    scale = next((t for t in graph.initializer if t.name == dequantise.input[1]), None)
    if scale is None:
        sys.exit("quantise_recogniser: the scale of the logits is not a constant")
    logits = dequantise.input[0]
    graph.node.remove(softmax)
    graph.node.remove(dequantise)
    graph.output.remove(graph.output[0])
    graph.output.append(make_tensor_value_info(logits, TensorProto.UINT8, None))
    entry = model.metadata_props.add()
    entry.key, entry.value = "logit_scale", repr(float(numpy_helper.to_array(scale)))


if __name__ == "__main__":
    main()
