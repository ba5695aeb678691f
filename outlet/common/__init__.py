"""The bottom layer, which every part may use and which uses no part: money, dates in the site's zone, batches,
CSV streaming, months, charts, sanitising, the client's address, the admin's shared columns, mixins and money
fields; the email choke point (emails, outbox and their models, an app labelled "common"); and the site plumbing
that needs nothing else (the Redis and file caches, the request guard, the security headers, the page cache)."""
