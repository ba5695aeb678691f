"""The web process's plumbing that needs the products: the health check and the templates' context processor. Only
the project's configuration (settings, urls) names it."""
