"""Vietnamese HTML pages (Jinja2) over the same engine read models as the JSON API."""
