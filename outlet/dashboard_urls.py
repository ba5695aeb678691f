"""The revenue dashboard's admin URLs (placeholder: the dashboard is being built)."""

urlpatterns: list = []
