#!/usr/bin/python3
"""Writes PIL 9.4 / torchvision 0.14 reference outputs for the image tests (run with Debian's python3-pil).

    pil_reference.py OUT (--image PATH | --synthetic NAME) [--resize] [--torchvision]

--synthetic writes the named test image (a PIL mode or PNG/JPEG layout PIL opens but the photos
lack) to OUT/image.png or OUT/image.jpg first. Then, into OUT/:
  manifest.json   {"image", "mode" (PIL's), "error" (PIL's message, or null), "width", "height",
                   "decoded", "resized": [...], "shorter": [...], "crops": [...], "presets": {...}}
  *.bin           raw bytes: uint8 interleaved RGB (H, W, 3), or float32 little-endian (3, H, W)
decoded:     Image.open(path).convert("RGB")
--resize:    Image.resize((w, h), BILINEAR | BICUBIC) to a few sizes, one of them an upscale
--torchvision: Resize(256 | 232) (both filters), CenterCrop (one case padding), and each
             preset's Resize -> CenterCrop -> ToTensor -> Normalize
"""
import argparse
import io
import json
import os
import struct
import sys
import warnings
import zlib

import numpy as np
from PIL import Image

FILTERS = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
# The presets of include/lucid/data/transforms.h, spelled out again as the reference.
PRESETS = {
    "tv_v1": dict(resize=256, crop=224, interpolation="bilinear"),
    "tv_v2": dict(resize=232, crop=224, interpolation="bilinear"),
    "timm_gluon": dict(resize=256, crop=224, interpolation="bicubic"),
    "timm_wsl": dict(resize=256, crop=224, interpolation="bilinear"),
}


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def save_rgb(out, name, im):
    a = np.asarray(im, dtype=np.uint8)
    assert a.ndim == 3 and a.shape[2] == 3, a.shape
    write_atomic(os.path.join(out, name), a.tobytes())
    return dict(width=im.size[0], height=im.size[1], file=name)


# --- synthetic images --------------------------------------------------------------------------

def pattern(w, h, seed):
    """Gradients, a ring and noise: every value range, smooth and sharp content."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    ring = 0.5 + 0.5 * np.sin(np.hypot(x - w / 3, y - h / 2) / 4.0)
    chans = [x / (w - 1), y / (h - 1), ring, (x + y) / (w + h - 2)]
    return [np.clip(c + rng.normal(0, 0.08, c.shape), 0, 1) for c in chans]


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def pack_rows(samples, depth):
    """(H, W, C) integer samples -> PNG scanlines (filter byte 0), big-endian, packed below 8 bits."""
    rows = []
    for row in samples:
        if depth == 16:
            data = row.astype(">u2").tobytes()
        elif depth == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            flat = row.reshape(-1).astype(np.uint8)
            per = 8 // depth
            flat = np.concatenate([flat, np.zeros(-len(flat) % per, np.uint8)]).reshape(-1, per)
            shifts = np.arange(per - 1, -1, -1, dtype=np.uint8) * depth
            data = np.bitwise_or.reduce(flat << shifts, axis=1).astype(np.uint8).tobytes()
        rows.append(b"\0" + data)
    return b"".join(rows)


def png_bytes(samples, depth, color_type, extra=b"", interlace=False):
    """A PNG written by hand, for the layouts PIL cannot write (16-bit colour, 2/4-bit, Adam7)."""
    h, w = samples.shape[:2]
    if interlace:
        raw = b"".join(pack_rows(samples[y0::dy, x0::dx], depth) for x0, y0, dx, dy in ADAM7
                       if samples[y0::dy, x0::dx].size)
    else:
        raw = pack_rows(samples, depth)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", zlib.compress(raw, 6))
            + png_chunk(b"IEND", b""))


def strip_app14(data):
    """Removes the Adobe (APP14) segment libjpeg writes into CMYK JPEGs."""
    i = 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if data[i + 1] == 0xEE:
            return data[:i] + data[i + 2 + length:]
        i += 2 + length
    raise ValueError("no APP14 segment")


def synthesize(name, out):
    w, h = 173, 119  # odd, and not a multiple of 8 or 16: partial MCUs and filter edges
    r, g, b, k = pattern(w, h, seed=sum(map(ord, name)))
    u8 = lambda c: np.round(c * 255).astype(np.uint8)
    u16 = lambda c: np.round(c * 65535).astype(np.uint16)
    rgb8 = Image.fromarray(np.stack([u8(r), u8(g), u8(b)], -1), "RGB")
    path = os.path.join(out, "image.jpg" if name.startswith("jpeg") else "image.png")
    if name.startswith("jpeg"):
        jpeg = dict(jpeg_420=dict(subsampling=2), jpeg_422=dict(subsampling=1), jpeg_444=dict(subsampling=0),
                    jpeg_progressive=dict(progressive=True), jpeg_gray={}, jpeg_cmyk={}, jpeg_cmyk_no_adobe={})[name]
        im = rgb8
        if name == "jpeg_gray":
            im = Image.fromarray(u8(r), "L")
        elif name.startswith("jpeg_cmyk"):
            im = Image.fromarray(np.stack([u8(r), u8(g), u8(b), u8(k * 0.6)], -1), "CMYK")
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=90, **jpeg)
        data = buf.getvalue()
        write_atomic(path, strip_app14(data) if name == "jpeg_cmyk_no_adobe" else data)
        return path
    gray8 = u8(r)
    # 16-bit gray opens as mode "I", and I -> RGB clips: keep a band of values around 255.
    gray16 = u16(r)
    gray16[: h // 3] = np.round(r[: h // 3] * 600).astype(np.uint16)
    if name == "png_gray1":
        Image.fromarray(gray8 > 127).convert("1").save(path)
    elif name in ("png_gray2", "png_gray4"):
        depth = int(name[-1])
        trns = png_chunk(b"tRNS", struct.pack(">H", 1))  # ignored by convert("RGB")
        write_atomic(path, png_bytes(np.round(r * (2 ** depth - 1)).astype(np.uint8)[..., None], depth, 0, trns))
    elif name == "png_gray16":
        write_atomic(path, png_bytes(gray16[..., None], 16, 0))
    elif name == "png_gray_trns":
        Image.fromarray(gray8, "L").save(path, transparency=int(gray8[5, 5]))
    elif name == "png_la8":
        Image.fromarray(np.stack([gray8, u8(k)], -1), "LA").save(path)
    elif name == "png_la16":
        write_atomic(path, png_bytes(np.stack([gray16, u16(k)], -1), 16, 4))
    elif name == "png_rgb16":
        write_atomic(path, png_bytes(np.stack([u16(r), u16(g), u16(b)], -1), 16, 2))
    elif name == "png_rgba16":
        write_atomic(path, png_bytes(np.stack([u16(r), u16(g), u16(b), u16(k)], -1), 16, 6))
    elif name == "png_rgba8":
        Image.fromarray(np.stack([u8(r), u8(g), u8(b), u8(k)], -1), "RGBA").save(path)
    elif name == "png_rgb_trns":
        rgb8.save(path, transparency=tuple(int(v) for v in np.asarray(rgb8)[3, 3]))
    elif name == "png_palette_trns":
        p = rgb8.quantize(colors=200)
        p.save(path, transparency=bytes(range(0, 250, 2))[:100])
    elif name == "png_palette_short":
        # 4-bit indices up to 15 with a 5-entry PLTE: PIL shows the missing entries as its gray ramp.
        plte = png_chunk(b"PLTE", bytes([200, 10, 10, 10, 200, 10, 10, 10, 200, 250, 250, 0, 0, 90, 90]))
        plte += png_chunk(b"tRNS", bytes([0, 128, 255]))
        write_atomic(path, png_bytes(np.round(r * 15).astype(np.uint8)[..., None], 4, 3, extra=plte))
    elif name == "png_interlaced_rgb":
        write_atomic(path, png_bytes(np.asarray(rgb8), 8, 2, interlace=True))
    elif name == "png_interlaced_gray2":
        write_atomic(path, png_bytes(np.round(g * 3).astype(np.uint8)[..., None], 2, 0, interlace=True))
    else:
        raise SystemExit(f"pil_reference.py: unknown synthetic image {name!r}")
    return path


# --- references --------------------------------------------------------------------------------

def resize_sizes(w, h):
    """Odd downscales in both axes and in one (so one pass is skipped), and an upscale."""
    return [(97, 61), (max(1, w // 3 + 1), h), (w, max(1, h // 2 - 1)), (w + w // 2 + 3, h * 2 - 1),
            (max(1, w // 7), max(1, h // 5) + 2)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--image")
    source.add_argument("--synthetic")
    parser.add_argument("--resize", action="store_true")
    parser.add_argument("--torchvision", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # convert() warns about palette transparency it drops; dropping it is what is being tested.
    warnings.filterwarnings("ignore", "Palette images with Transparency")
    path = synthesize(args.synthetic, args.out) if args.synthetic else args.image
    manifest = dict(image=path, error=None)
    try:
        opened = Image.open(path)
        manifest["mode"] = opened.mode
        im = opened.convert("RGB")
    except Exception as e:  # the C++ test compares its own refusal with PIL's
        manifest["error"] = f"{type(e).__name__}: {e}"
        write_atomic(os.path.join(args.out, "manifest.json"), json.dumps(manifest, indent=1).encode())
        return
    manifest.update(save_rgb(args.out, "decoded.bin", im))
    del manifest["file"]
    manifest["decoded"] = "decoded.bin"

    if args.resize:
        manifest["resized"] = []
        for w, h in resize_sizes(*im.size):
            for fname, f in FILTERS.items():
                entry = save_rgb(args.out, f"resize_{w}x{h}_{fname}.bin", im.resize((w, h), f))
                manifest["resized"].append(dict(entry, filter=fname))

    if args.torchvision:
        import torch
        from torchvision import transforms as T
        modes = {"bilinear": T.InterpolationMode.BILINEAR, "bicubic": T.InterpolationMode.BICUBIC}
        manifest["shorter"] = []
        for size in (256, 232):
            for fname, mode in modes.items():
                entry = save_rgb(args.out, f"shorter_{size}_{fname}.bin", T.Resize(size, interpolation=mode)(im))
                manifest["shorter"].append(dict(entry, size=size, filter=fname))
        manifest["crops"] = []
        w, h = im.size
        for cw, ch in ((224, 224), (w + 3, max(1, h - 5)), (max(1, w - 1), h + 4)):
            entry = save_rgb(args.out, f"crop_{cw}x{ch}.bin", T.CenterCrop((ch, cw))(im))
            manifest["crops"].append(entry)
        manifest["presets"] = {}
        for name, p in PRESETS.items():
            pipeline = T.Compose([T.Resize(p["resize"], interpolation=modes[p["interpolation"]]),
                                  T.CenterCrop(p["crop"]), T.ToTensor(), T.Normalize(MEAN, STD)])
            t = pipeline(im)
            assert t.dtype == torch.float32
            write_atomic(os.path.join(args.out, f"preset_{name}.bin"), t.contiguous().numpy().astype("<f4").tobytes())
            manifest["presets"][name] = dict(p, mean=MEAN, std=STD, shape=list(t.shape), file=f"preset_{name}.bin")

    write_atomic(os.path.join(args.out, "manifest.json"), json.dumps(manifest, indent=1).encode())


if __name__ == "__main__":
    sys.exit(main())
