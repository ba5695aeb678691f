"""The sandbox provider, self-contained: the provider (`provider.py`: objects kept in SandboxObject rows, signed
events handed to the inbox the pipeline gives it) and the pages a person pays on (`views.py`: checkout and card
portal, templates in templates/payments/)."""
