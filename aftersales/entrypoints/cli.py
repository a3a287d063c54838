"""`aftersales`: database, demo data, order import, events and inspection, integrations, customer tokens."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aftersales.config import ConfigError, Settings

if TYPE_CHECKING:
    from aftersales.bootstrap import Services


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _services(settings: Settings | None = None) -> Services:
    from aftersales.bootstrap import services

    return services(settings or _settings())


@click.group(help="aftersales: after-sales customer service for e-commerce.")
def main() -> None:
    pass


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply every schema migration (creates the SQLite file if needed).")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    from aftersales.adapters.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {_safe_url(settings.database_url)} is at revision {revision}")


@main.group(help="Demo data.")
def demo() -> None:
    pass


@demo.command("seed", help="(Re)create the demo shops, customers and orders (README lists them).")
def demo_seed() -> None:
    from aftersales import demo as demo_data
    from aftersales.adapters.db.engine import session_factory

    settings = _settings()
    summary = demo_data.seed(session_factory(settings.database_url))
    click.echo(f"demo data ready: {summary.orders} orders for {len(demo_data.CUSTOMERS)} customers "
               f"in {len(demo_data.SHOPS)} shops")


@main.group(help="Orders.")
def orders() -> None:
    pass


@orders.command("import", help="Import orders from a .jsonl or .csv file (docs/import-format.md). "
                                "All or nothing: any bad line and nothing is written.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def orders_import(file: Path) -> None:
    from aftersales.adapters.db.engine import session_factory
    from aftersales.adapters.order_files import FileFormatError, read_order_file
    from aftersales.service.importing import ImportRejected, import_orders

    settings = _settings()
    try:
        summary = import_orders(session_factory(settings.database_url), read_order_file(file))
    except (FileFormatError, ImportRejected) as exc:
        for line, message in exc.problems:
            click.echo(f"{file}:{line}: {message}", err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s) found; nothing was imported") from None
    click.echo(f"imported {summary.orders} orders ({summary.items} items); new customers: "
               f"{summary.customers_created}, new shops: {summary.shops_created}")


@orders.command("show", help="Print an order with its items, refunds, returns, interceptions and tickets (appeals "
                              "with the case they appeal, logistics investigations, the platform's mark) as JSON.")
@click.argument("order_no")
def orders_show(order_no: str) -> None:
    from aftersales.adapters.db.engine import session_factory
    from aftersales.domain import order_numbers
    from aftersales.service.unit_of_work import UnitOfWork
    from aftersales.service.views import order_dict

    normalized = order_numbers.normalize(order_no)
    if normalized is None:
        raise click.ClickException(f"{order_no!r} is not an order number (10–20 digits, optional letter prefix)")
    with UnitOfWork(session_factory(_settings().database_url)) as uow:
        order = uow.orders.get(normalized)
        if order is None:
            raise click.ClickException(f"no order {normalized}")
        click.echo(json.dumps(order_dict(order), ensure_ascii=False, indent=2))


@orders.command("events", help="Replay a file of order events (a JSON array, or one event per line) for a shop, "
                                "as the order-events API would apply them; prints what each did.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--shop", "shop_id", required=True, help="The shop the events are of.")
def orders_events(file: Path, shop_id: str) -> None:
    text = file.read_text(encoding="utf-8").strip()
    try:
        raws = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines()
                                                               if line.strip()]
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{file}: not JSON ({exc.msg} at line {exc.lineno})") from None
    results = _services().order_events.record_many(shop_id, raws)
    for n, result in enumerate(results, start=1):
        what = result.get("outcome") or result.get("error")
        reason = f": {result['reason']}" if result.get("reason") else ""
        click.echo(f"{file}:{n}: {result.get('event_id')} {result['status']} {what}{reason}"
                   f"{' (duplicate)' if result.get('duplicate') else ''}")
    refused = sum(result["status"] >= 400 for result in results)
    if refused:
        raise click.ClickException(f"{refused} of {len(results)} event(s) not applied")


@main.group(help="Shops' order systems that send orders and order events.")
def integrations() -> None:
    pass


@integrations.command("add", help="Create an integration for a shop; prints its bearer token (shown once) last.")
@click.argument("shop_id")
@click.option("--name", default="order system", show_default=True)
def integrations_add(shop_id: str, name: str) -> None:
    from aftersales.service.errors import NotFound

    try:
        token = _services().integrations.add(shop_id, name)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"integration {name!r} for shop {shop_id} created; send it as 'Authorization: Bearer <token>'. "
               f"token: {token}")


@main.group(help="Refunds.")
def refunds() -> None:
    pass


@refunds.command("process", help="One round of the refund worker: submit requested refunds to the payment "
                                  "provider, ask after the ones on their way; prints what happened.")
def refunds_process() -> None:
    report = _services().refunds.run_once()
    click.echo(json.dumps(report.__dict__))


@main.group(help="Cases in the merchants' inboxes.")
def cases() -> None:
    pass


@cases.command("platform", help="Print the cases of every shop marked for the platform (平台介入: complaints about "
                                "a shop) as JSON, most urgent first: what the platform sees beside each shop's queue.")
@click.option("--status", default="open", show_default=True, help="open, resolved, all, or one status.")
def cases_platform(status: str) -> None:
    from aftersales.service.errors import ServiceError

    try:
        found = _services().inbox.cases(None, status=status, platform=True)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(found, ensure_ascii=False, indent=2))


@main.group(help="Merchants who work the inbox.")
def merchants() -> None:
    pass


@merchants.command("add", help="Create a merchant sign-in for one or more shops (the password is asked for).")
@click.argument("email")
@click.option("--name", required=True, help="Shown to colleagues and, with replies, to shoppers.")
@click.option("--shop", "shops", multiple=True, required=True, help="A shop id; repeat for several shops.")
@click.password_option(help="At least 10 characters.")
def merchants_add(email: str, name: str, shops: tuple[str, ...], password: str) -> None:
    from aftersales.service.errors import ServiceError

    try:
        merchant = _services().merchant_accounts.create_merchant(email, name, password, list(shops))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"merchant {merchant['email']} can sign in for {', '.join(merchant['shop_ids'])}")


@main.group(help="Shops.")
def shops() -> None:
    pass


@shops.command("webhook", help="Set where a shop's new urgent cases are announced (signed with the shop's secret, "
                               "printed); an empty URL removes it.")
@click.argument("shop_id")
@click.argument("url")
@click.option("--new-secret", is_flag=True, help="Make a new signing secret (the receiver must switch to it).")
def shops_webhook(shop_id: str, url: str, new_secret: bool) -> None:
    from aftersales.service.errors import ServiceError

    try:
        result = _services().webhooks.set(shop_id, url, {shop_id}, "cli", new_secret=new_secret)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{shop_id}: webhook {result['url']} secret {result['secret']}" if result["url"]
               else f"{shop_id}: no webhook")


@main.command("worker", help="Submit refunds to the payment provider and follow them up; deliver queued chat "
                             "notifications to Rasa; post the shops' webhooks; read new conversations from "
                             "Rasa's tracker store for the figures. Retries with backoff; runs until stopped.")
@click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="One round, then exit.")
def worker(interval: float, once: bool) -> None:
    import logging
    import time

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    built = _services()
    refunds, dispatcher = built.refunds, built.dispatcher
    while True:
        try:
            money = refunds.run_once()
            if money.succeeded or money.failed or money.unanswered:
                logging.info("refunds: %s", money)
            report = dispatcher.dispatch()
            if report.sent or report.failed:
                logging.info("notifications sent %s, failed for good %s", report.sent, report.failed)
        except Exception:  # noqa: BLE001 - a database or network hiccup must not stop the worker
            logging.exception("worker round failed; retrying in %ss", interval)
        try:  # the shops' webhooks for new urgent cases
            hooks = built.webhook_dispatcher.dispatch()
            if hooks.sent or hooks.failed:
                logging.info("webhooks sent %s, failed for good %s", hooks.sent, hooks.failed)
        except Exception:  # noqa: BLE001
            logging.exception("posting webhooks failed; retrying in %ss", interval)
        try:  # the figures' count of conversations; a chat log that cannot be read stops nothing else
            if built.conversation_sync is not None:
                built.conversation_sync.run_once()
        except Exception:  # noqa: BLE001
            logging.exception("reading the chat log failed; retrying in %ss", interval)
        if once:
            return
        time.sleep(interval)


@main.command("token", help="Mint the signed customer token that the shop's app passes to the chat as metadata.")
@click.argument("customer_id")
@click.option("--ttl-minutes", type=int, default=None, help="Lifetime (default: CUSTOMER_TOKEN_TTL_MINUTES).")
def token(customer_id: str, ttl_minutes: int | None) -> None:
    from aftersales.adapters.customer_tokens import mint

    settings = _settings()
    click.echo(mint(settings.customer_token_secret, customer_id, ttl_minutes or settings.customer_token_ttl_minutes))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
