"""The revenue dashboard at /admin/revenue/: reads the products' figures (members.stats, donations.stats) and draws
them; nothing imports it but the project's URLs."""
