"""Drawing parts for the demo hero illustrations: colours, ridges, haze, sun, water and foreground details.

Every function draws onto a 1600x900 RGB image in place (or returns a new one) and takes its randomness from the
`random.Random` it is given, so a picture depends only on the seed `outlet.demo.images` derives from the slug.
"""

from __future__ import annotations

import colorsys
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

WIDTH, HEIGHT = 1600, 900
SUPERSAMPLE = 2  # shapes are drawn at twice the size and scaled down, for smooth edges

RGB = tuple[int, int, int]
Point = tuple[float, float]


@dataclass(frozen=True)
class Palette:
    sky_top: RGB
    horizon: RGB
    sun: RGB
    far: RGB
    near: RGB
    words: str  # e.g. "blue and apricot"


# --- Colour --------------------------------------------------------------------------------------------------


def hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
    return round(r * 255), round(g * 255), round(b * 255)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


# --- Drawing helpers -----------------------------------------------------------------------------------------


Drawer = Callable[[ImageDraw.ImageDraw, int], None]  # draws a mask shape at the given scale, with fill=255


def fill(image: Image.Image, color: RGB, draw: Drawer, *, opacity: int = 255) -> None:
    """Paint `color` through a mask that `draw` draws at SUPERSAMPLE scale; `opacity` fades the whole mask."""
    mask = Image.new("L", (WIDTH * SUPERSAMPLE, HEIGHT * SUPERSAMPLE), 0)
    draw(ImageDraw.Draw(mask), SUPERSAMPLE)
    mask = mask.resize((WIDTH, HEIGHT), Image.Resampling.BOX)
    if opacity < 255:
        mask = mask.point(lambda v: v * opacity // 255)
    image.paste(color, (0, 0), mask)


def polygon(points: list[Point], value: int = 255):
    def draw(d: ImageDraw.ImageDraw, scale: int) -> None:
        d.polygon([(x * scale, y * scale) for x, y in points], fill=value)

    return draw


def vertical_gradient(width: int, height: int) -> Image.Image:
    """An L image going from 0 at the top to 255 at the bottom."""
    return Image.linear_gradient("L").resize((width, height), Image.Resampling.BILINEAR)


def ridge_line(rng: random.Random, base_y: float, amplitude: float, *, smooth: bool) -> list[Point]:
    """The top edge of one layer of land, left to right."""
    count = 129
    xs = [WIDTH * i / (count - 1) for i in range(count)]
    if smooth:
        waves = [(rng.uniform(0.6, 1.6), rng.uniform(0, math.tau), rng.uniform(0.5, 1.0)) for _ in range(3)]
        total = sum(w for _, _, w in waves)
        heights = [
            amplitude * (0.5 + 0.5 * sum(w * math.sin(f * math.tau * x / WIDTH + ph) for f, ph, w in waves) / total)
            for x in xs
        ]
    else:  # midpoint displacement: jagged, mountain-like
        heights = [0.0] * count
        heights[0], heights[-1] = rng.uniform(0.2, 0.7) * amplitude, rng.uniform(0.2, 0.7) * amplitude
        step, spread = count - 1, amplitude * 0.6
        while step > 1:
            half = step // 2
            for i in range(half, count - 1, step):
                heights[i] = (heights[i - half] + heights[i + half]) / 2 + rng.uniform(-spread, spread)
            step, spread = half, spread * 0.55
        low, high = min(heights), max(heights)
        heights = [amplitude * (h - low) / ((high - low) or 1) for h in heights]
    return [(x, base_y - h) for x, h in zip(xs, heights, strict=True)]


def land_polygon(ridge: list[Point]) -> list[Point]:
    return ridge + [(WIDTH, HEIGHT), (0, HEIGHT)]


def mist(image: Image.Image, color: RGB, top: float, full_at: float, strength: int) -> None:
    """Haze that thickens from `top` down to `full_at` and stays full below it (nearer layers paint over it)."""
    top, full_at = int(max(0, top)), int(min(HEIGHT, full_at))
    if full_at > top:
        mask = vertical_gradient(WIDTH, full_at - top).point(lambda v: v * strength // 255)
        image.paste(color, (0, top, WIDTH, full_at), mask)
    if full_at < HEIGHT:
        image.paste(color, (0, full_at, WIDTH, HEIGHT), Image.new("L", (WIDTH, HEIGHT - full_at), strength))


# --- Scene parts ---------------------------------------------------------------------------------------------


def sky(palette: Palette) -> Image.Image:
    gradient = vertical_gradient(WIDTH, HEIGHT)
    return ImageOps.colorize(gradient, black=palette.sky_top, white=palette.horizon).convert("RGB")


def stars(image: Image.Image, rng: random.Random, palette: Palette, count: int) -> None:
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    d = ImageDraw.Draw(mask)
    for _ in range(count):
        x, y = rng.uniform(0, WIDTH), HEIGHT * 0.55 * rng.random() ** 1.4  # denser towards the top
        r = rng.choice([0.8, 1.0, 1.2, 1.8])
        d.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(70, 220))
    image.paste(mix(palette.sun, (255, 255, 255), 0.5), (0, 0), mask)


def sun(image: Image.Image, rng: random.Random, palette: Palette, time_of_day: str) -> Point:
    cx, cy = rng.uniform(0.22, 0.78) * WIDTH, rng.uniform(0.20, 0.40) * HEIGHT
    radius = rng.uniform(34, 50) if time_of_day == "night" else rng.uniform(55, 100)
    # A soft glow, blurred at quarter size (blurring the full image is slow), then the disc itself.
    small = Image.new("L", (WIDTH // 4, HEIGHT // 4), 0)
    glow = radius * 3.2 / 4
    ImageDraw.Draw(small).ellipse((cx / 4 - glow, cy / 4 - glow, cx / 4 + glow, cy / 4 + glow), fill=150)
    small = small.filter(ImageFilter.GaussianBlur(radius * 1.4 / 4))
    image.paste(palette.sun, (0, 0), small.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR))

    def disc(d: ImageDraw.ImageDraw, s: int) -> None:
        d.ellipse(((cx - radius) * s, (cy - radius) * s, (cx + radius) * s, (cy + radius) * s), fill=255)

    fill(image, palette.sun, disc, opacity=235)
    return cx, cy


def snow_caps(image: Image.Image, rng: random.Random, ridge: list[Point], color: RGB, amplitude: float) -> None:
    summit = min(y for _, y in ridge)
    snowline = summit + amplitude * rng.uniform(0.18, 0.28)
    jitter, bottoms = 0.0, []
    for x, y in ridge:
        jitter = max(-18.0, min(18.0, jitter + rng.uniform(-5, 5)))
        bottoms.append((x, max(y, min(snowline + jitter, y + 55))))
    fill(image, color, polygon(ridge + bottoms[::-1]), opacity=215)


def ribbon(rng: random.Random, start: tuple[float, float], *, top_width: float, bottom_width: float):
    """A winding band (river or road) from `start` down to the bottom edge: centre line and edge polygon."""
    x0, y0 = start
    swing, phase = rng.uniform(80, 180), rng.uniform(0, math.tau)
    drift = rng.uniform(-0.25, 0.25) * WIDTH
    centre, left, right = [], [], []
    steps = 60
    for i in range(steps + 1):
        t = i / steps
        y = y0 + (HEIGHT + 40 - y0) * t
        x = x0 + drift * t * t + swing * t * math.sin(phase + t * 5.0)
        half = (top_width + (bottom_width - top_width) * t * t) / 2
        centre.append((x, y, half))
        left.append((x - half, y))
        right.append((x + half, y))
    return centre, left + right[::-1]


def road_markings(image: Image.Image, centre: list[tuple[float, float, float]], color: RGB) -> None:
    """Dashes down the middle of a road drawn by `ribbon` (centre points carry the half-width)."""

    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        for i in range(2, len(centre) - 1, 3):
            (x1, y1, half), (x2, y2, _) = centre[i], centre[i + 1]
            d.line([(x1 * s, y1 * s), (x2 * s, y2 * s)], fill=255, width=max(1, round(half / 30)) * s)

    fill(image, color, draw, opacity=200)


def skyline(image: Image.Image, rng: random.Random, palette: Palette, base_y: float, color: RGB, lit: bool) -> None:
    boxes, x = [], -rng.uniform(0, 40)
    while x < WIDTH:
        width = rng.uniform(28, 110)
        height = rng.uniform(30, 120) if rng.random() < 0.7 else rng.uniform(120, 250)
        boxes.append((x, base_y - height, x + width, base_y + 2))
        x += width + rng.uniform(0, 10)

    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        for left, top, right, bottom in boxes:
            d.rectangle((left * s, top * s, right * s, bottom * s), fill=255)
            if right - left > 70 and rng.random() < 0.3:  # a mast on a few tall blocks
                mid = (left + right) / 2
                d.rectangle(((mid - 1.5) * s, (top - 40) * s, (mid + 1.5) * s, top * s), fill=255)

    fill(image, color, draw)
    if lit:
        windows = Image.new("L", (WIDTH, HEIGHT), 0)
        d = ImageDraw.Draw(windows)
        for left, top, right, bottom in boxes:
            for wy in range(int(top) + 10, int(bottom) - 10, 14):
                for wx in range(int(left) + 7, int(right) - 8, 12):
                    if rng.random() < 0.22:
                        d.rectangle((wx, wy, wx + 4, wy + 6), fill=rng.randint(150, 240))
        image.paste(palette.sun, (0, 0), windows)
    fill(image, mix(color, palette.near, 0.6), polygon([(0, base_y), (WIDTH, base_y), (WIDTH, HEIGHT), (0, HEIGHT)]))


def water(image: Image.Image, palette: Palette, horizon_y: int, sun_x: float) -> None:
    depth = HEIGHT - horizon_y
    above = image.crop((0, horizon_y - depth, WIDTH, horizon_y)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    small = above.resize((WIDTH // 4, depth // 4)).filter(ImageFilter.GaussianBlur(1.5))
    reflection = small.resize((WIDTH, depth), Image.Resampling.BILINEAR)
    dark = Image.new("RGB", (WIDTH, depth), mix(palette.near, palette.sky_top, 0.5))
    fade = vertical_gradient(WIDTH, depth).point(lambda v: 90 + v * 120 // 255)
    image.paste(Image.composite(dark, reflection, fade), (0, horizon_y))

    def shimmer(d: ImageDraw.ImageDraw, s: int) -> None:
        rng = random.Random(int(sun_x * 1000))
        for i in range(26):
            y = horizon_y + 6 + (depth - 10) * (i / 26) ** 1.6
            half = rng.uniform(20, 70) * (1 + 2 * i / 26)
            x = sun_x + rng.uniform(-40, 40)
            d.rectangle(((x - half) * s, y * s, (x + half) * s, (y + 1.5 + i / 10) * s), fill=255)

    fill(image, palette.sun, shimmer, opacity=90)


def boats(image: Image.Image, rng: random.Random, color: RGB, horizon_y: int) -> None:
    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        for _ in range(rng.randint(2, 3)):
            y = rng.uniform(horizon_y + 40, HEIGHT - 90)
            size = 0.5 + (y - horizon_y) / (HEIGHT - horizon_y)
            x = rng.uniform(0.1, 0.9) * WIDTH
            length, depth = 90 * size, 16 * size
            d.polygon(
                [
                    ((x - length / 2) * s, (y - depth) * s),
                    ((x + length / 2) * s, (y - depth) * s),
                    ((x + length / 2.6) * s, y * s),
                    ((x - length / 2.6) * s, y * s),
                ],
                fill=255,
            )
            d.rectangle(((x - length / 5) * s, (y - depth * 2.2) * s, (x + length / 8) * s, (y - depth) * s), fill=255)
            mast = x + length / 4
            d.rectangle((mast * s, (y - depth * 4.5) * s, (mast + 2.5 * size) * s, (y - depth) * s), fill=255)

    fill(image, color, draw)


def sheep(image: Image.Image, rng: random.Random, ridge: list[Point], color: RGB, shade: RGB) -> None:
    centre = rng.uniform(0.25, 0.75) * WIDTH
    flock = []
    for _ in range(rng.randint(14, 24)):
        x = centre + rng.gauss(0, 140)
        ground = ridge[max(0, min(len(ridge) - 1, round(x / WIDTH * (len(ridge) - 1))))][1]
        y = ground + rng.uniform(30, 140)
        size = 0.8 + (y - ground) / 200
        flock.append((x, y, size))

    def bodies(d: ImageDraw.ImageDraw, s: int) -> None:
        for x, y, k in flock:
            d.ellipse(((x - 11 * k) * s, (y - 7 * k) * s, (x + 11 * k) * s, (y + 7 * k) * s), fill=255)

    def heads(d: ImageDraw.ImageDraw, s: int) -> None:
        for x, y, k in flock:
            d.ellipse(((x + 8 * k) * s, (y - 8 * k) * s, (x + 15 * k) * s, (y - 2 * k) * s), fill=255)

    fill(image, color, bodies)
    fill(image, shade, heads)


def vine_rows(image: Image.Image, ridge: list[Point], color: RGB) -> None:
    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        offset, gap = 18.0, 14.0
        while offset < HEIGHT:
            width = max(2, round(2 + offset / 60))
            d.line([(x * s, (y + offset) * s) for x, y in ridge], fill=255, width=width * s)
            offset += gap
            gap *= 1.18

    fill(image, color, draw, opacity=170)


def finish(image: Image.Image, rng: random.Random) -> Image.Image:
    """Film grain and a gentle vignette, so flat colour reads as a print rather than a diagram."""
    # Grain from the seeded generator (not Image.effect_noise, which is unseeded), so output stays reproducible.
    grain = Image.frombytes("L", (WIDTH, HEIGHT), rng.randbytes(WIDTH * HEIGHT)).point(lambda v: 128 + (v - 128) // 5)
    noise = grain.convert("RGB")
    image = Image.blend(image, ImageChops.overlay(image, noise), 0.35)
    vignette = Image.radial_gradient("L").resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    vignette = vignette.point(lambda v: max(0, v - 150) * 2)
    darker = ImageEnhance.Brightness(image).enhance(0.72)
    return Image.composite(darker, image, vignette)
