"""Staff roles (being written)."""


def sync_roles_after_migrate(sender, **kwargs) -> None:
    return None
