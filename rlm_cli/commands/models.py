"""`rlm models`: the endpoint's model list, which is also cached for tab completion."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from rlm_cli.commands._shared import user_errors
from rlm_cli.commands.completions import complete_profile
from rlm_cli.errors import ConfigError, ModelError


def models(
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL", help="List this endpoint's models. [env: RLM_BASE_URL]")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", metavar="NAME", help="Config profile. [env: RLM_PROFILE]", autocompletion=complete_profile,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List the models the endpoint serves (GET /models), one per line; remembered for TAB."""
    from rlm_cli.models import catalog
    from rlm_cli.settings import check_flags, require_key, resolve_settings

    with user_errors():
        check_flags({"base_url": base_url})
        settings = resolve_settings({"base_url": base_url}, profile=profile)
        timeout = min(10.0, settings.request_timeout)
        listing = catalog.fetch(settings.base_url, require_key(settings), timeout=timeout)
        if listing.status in (401, 403):
            raise ConfigError(f"{settings.base_url} refused the key ({listing.error})")
        if listing.status == 0:
            raise ModelError(f"cannot reach {settings.base_url}: {listing.error}")
        if not listing.ok:
            raise ModelError(f"{settings.base_url}/models: {listing.error or listing.status}")
    catalog.remember(settings.base_url, listing.models)
    if as_json:
        typer.echo(json.dumps(listing.models))
    elif listing.models:
        typer.echo("\n".join(listing.models))
