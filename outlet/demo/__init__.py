"""Demo content for a fresh local site: a small, fictional newsroom's worth of sections, authors and stories.

Everything here is invented for the demo. `manage.py load_demo_content` loads it; it only ever creates what is
missing, so staff edits to demo rows survive every `make run`. The demo speaks the site's five languages: English,
and Georgian, Armenian, Azerbaijani and Russian (outlet.demo.translations_*).
"""
