"""Hero illustrations for the demo stories, drawn with Pillow when the demo loads.

No image files ship with the project and nothing is downloaded: each picture is a layered landscape (sky gradient,
sun or moon, hazy ridges, and a foreground that suits the story) whose palette and shapes come from a hash of the
article's slug, so the same slug always gives the same picture. The alt text is built from the same choices, so
it describes what is actually drawn.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass

from PIL import Image

from outlet.demo import landscape as ls
from outlet.demo.landscape import HEIGHT, Palette

# What each scene shows, in words for the alt text.
SCENES = {
    "peaks": "layered mountain ridges fading into haze",
    "valley-river": "a river winding out of a mountain valley",
    "road": "a road winding up towards a mountain pass",
    "pasture": "high rolling pastures with a flock of grazing sheep",
    "vineyard": "rolling hills striped with rows of vines",
    "city": "a city skyline in front of distant mountains",
    "harbour": "a seaside skyline reflected in calm water",
    "sea": "small fishing boats on a calm sea below a low coastline",
    "lake": "mountains reflected in a still lake",
}
TIMES_OF_DAY = {
    "dawn": "at dawn",
    "day": "under a bright sky",
    "dusk": "at dusk",
    "night": "at night under a starry sky",
}
SNOWY_SCENES = {"peaks", "valley-river", "road", "city", "lake"}
# Warm hues for the horizon and the sun, with their names.
ACCENTS = [(0.02, "coral"), (0.07, "apricot"), (0.10, "amber"), (0.14, "gold"), (0.96, "rose")]


@dataclass(frozen=True)
class Hero:
    jpeg: bytes
    alt: str


def render_hero(slug: str, scene: str, *, snow: bool = False, time_of_day: str | None = None) -> Hero:
    """A 1600x900 JPEG for the article with this slug, and a description of it."""
    rng, plan = _plan(slug, scene, snow=snow, time_of_day=time_of_day)
    image = _draw_scene(rng, scene, plan.palette, time_of_day=plan.time_of_day, snow=plan.snow)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=84, optimize=True, progressive=True)
    return Hero(jpeg=buffer.getvalue(), alt=plan.alt)


def describe_hero(slug: str, scene: str, *, snow: bool = False, time_of_day: str | None = None) -> str:
    """The alt text `render_hero` would give, without drawing (for reusing an image already on disk)."""
    return _plan(slug, scene, snow=snow, time_of_day=time_of_day)[1].alt


@dataclass(frozen=True)
class _Plan:
    palette: Palette
    time_of_day: str
    snow: bool
    alt: str


def _plan(slug: str, scene: str, *, snow: bool, time_of_day: str | None) -> tuple[random.Random, _Plan]:
    if scene not in SCENES:
        raise ValueError(f"Unknown scene {scene!r}; choose one of {', '.join(SCENES)}")
    rng = random.Random(int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big"))
    time_of_day = time_of_day or rng.choice(["dawn", "day", "dusk"])
    palette = _palette(rng, time_of_day)
    snow = snow and scene in SNOWY_SCENES
    snow_words = ", with snow on the far peaks" if snow else ""
    alt = f"Illustration of {SCENES[scene]}{snow_words}, {TIMES_OF_DAY[time_of_day]}, in {palette.words} tones."
    return rng, _Plan(palette, time_of_day, snow, alt)


def _hue_name(h: float) -> str:
    for limit, name in [
        (0.04, "red"),
        (0.11, "orange"),
        (0.17, "ochre"),
        (0.25, "olive"),
        (0.42, "green"),
        (0.52, "teal"),
        (0.62, "blue"),
        (0.72, "indigo"),
        (0.84, "violet"),
        (0.95, "plum"),
    ]:
        if h < limit:
            return name
    return "crimson"


def _palette(rng: random.Random, time_of_day: str) -> Palette:
    base = rng.random()
    accent, accent_name = rng.choice(ACCENTS)
    base_name = _hue_name(base)
    words = f"{base_name} and {accent_name}"
    if time_of_day == "dawn":
        top, horizon, sun = ls.hsv(base, 0.35, 0.55), ls.hsv(accent, 0.30, 0.98), ls.hsv(accent, 0.12, 1.0)
        far, near = ls.mix(horizon, ls.hsv(base, 0.35, 0.45), 0.45), ls.hsv(base, 0.45, 0.16)
    elif time_of_day == "day":
        top, horizon, sun = ls.hsv(base, 0.45, 0.80), ls.hsv(base + 0.03, 0.12, 0.97), ls.hsv(0.13, 0.10, 1.0)
        far, near = ls.hsv(base, 0.22, 0.72), ls.hsv(base - 0.03, 0.50, 0.22)
        words = f"soft {base_name}"
    elif time_of_day == "dusk":
        top, horizon, sun = ls.hsv(base, 0.55, 0.28), ls.hsv(accent, 0.55, 0.92), ls.hsv(accent, 0.30, 1.0)
        far, near = ls.mix(horizon, top, 0.55), ls.hsv(base, 0.50, 0.10)
    else:  # night
        top, horizon, sun = ls.hsv(base, 0.60, 0.12), ls.hsv(base, 0.40, 0.38), ls.hsv(0.12, 0.08, 0.95)
        far, near = ls.hsv(base, 0.40, 0.24), ls.hsv(base, 0.50, 0.07)
        words = f"deep {base_name}"
    return Palette(top, horizon, sun, far, near, words=words)


# --- Scenes --------------------------------------------------------------------------------------------------

WATER_LINE = {"lake": int(HEIGHT * 0.66), "harbour": int(HEIGHT * 0.64), "sea": int(HEIGHT * 0.58)}


def _layer_specs(scene: str) -> list[tuple[float, float]]:
    """(base height, amplitude) of each layer of land, farthest first."""
    if scene == "sea":
        return [(WATER_LINE[scene] + 2, 26)]  # a low, distant coastline
    if scene == "lake":
        return [(WATER_LINE[scene] - 90, 260), (WATER_LINE[scene] - 30, 200)]
    if scene == "harbour":
        return [(WATER_LINE[scene] - 60, 200)]
    if scene == "city":
        return [(HEIGHT * 0.55, 250), (HEIGHT * 0.66, 190)]
    if scene in {"pasture", "vineyard"}:
        return [(HEIGHT * 0.55, 120), (HEIGHT * 0.66, 130), (HEIGHT * 0.78, 140), (HEIGHT * 0.92, 150)]
    return [(HEIGHT * 0.52, 280), (HEIGHT * 0.62, 230), (HEIGHT * 0.74, 180), (HEIGHT * 0.88, 150)]


def _draw_scene(rng: random.Random, scene: str, palette: Palette, *, time_of_day: str, snow: bool) -> Image.Image:
    image = ls.sky(palette)
    if time_of_day in {"dusk", "night"}:
        ls.stars(image, rng, palette, 140 if time_of_day == "night" else 50)
    sun_x, _ = ls.sun(image, rng, palette, time_of_day)

    water_y = WATER_LINE.get(scene)
    has_city = scene in {"city", "harbour"}
    layer_specs = _layer_specs(scene)
    # With a city or water in front, the land layers stop short of the darkest colour.
    shades = len(layer_specs) + (2 if water_y is not None or has_city else 0)
    ridges, colors = [], []
    for index, (base_y, amplitude) in enumerate(layer_specs):
        ridge = ls.ridge_line(rng, base_y, amplitude, smooth=scene in {"pasture", "vineyard", "sea"})
        color = ls.mix(palette.far, palette.near, index / max(1, shades - 1))
        ls.fill(image, color, ls.polygon(ls.land_polygon(ridge)))
        if snow and index < 2:
            snow_color = ls.mix((250, 250, 252), palette.horizon, 0.25 + 0.15 * index)
            ls.snow_caps(image, rng, ridge, snow_color, amplitude)
        if index < shades - 1:
            ls.mist(image, palette.horizon, base_y - amplitude * 0.45, base_y + 30, 100)
        ridges.append(ridge)
        colors.append(color)

    if has_city:
        city_color, lit = ls.mix(palette.far, palette.near, 0.75), time_of_day in {"dusk", "night"}
        ls.skyline(image, rng, palette, (water_y or HEIGHT * 0.80) + 2, city_color, lit=lit)
    if water_y is not None:
        ls.water(image, palette, water_y, sun_x)

    if scene == "sea":
        ls.boats(image, rng, palette.near, WATER_LINE[scene])
    elif scene in {"valley-river", "road"}:
        # The river or road comes out of the lowest point of the valley behind the nearest hills.
        valley = ridges[-2][len(ridges[-2]) // 4 : 3 * len(ridges[-2]) // 4]
        x, y = max(valley, key=lambda point: point[1])
        bottom_width = 300 if scene == "road" else 340
        centre, outline = ls.ribbon(rng, (x, y + 6), top_width=5, bottom_width=bottom_width)
        if scene == "valley-river":
            ls.fill(image, ls.mix(palette.horizon, palette.sky_top, 0.25), ls.polygon(outline), opacity=235)
        else:
            ls.fill(image, ls.mix(palette.near, (128, 128, 128), 0.35), ls.polygon(outline))
            ls.road_markings(image, centre, ls.mix(palette.sun, (255, 255, 255), 0.4))
    elif scene == "pasture":
        wool, faces = ls.mix((245, 243, 236), palette.horizon, 0.2), ls.mix(palette.near, (0, 0, 0), 0.3)
        ls.sheep(image, rng, ridges[-1], wool, faces)
    elif scene == "vineyard":
        for ridge, color in list(zip(ridges, colors, strict=True))[-2:]:
            ls.vine_rows(image, ridge, ls.mix(color, palette.near, 0.7))
    return ls.finish(image, rng)
