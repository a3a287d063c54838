"""What the bot carries out itself, in words: a withdrawal, price protection, a new address — the
summary before, and what came of it."""

from __future__ import annotations

from actions.contracts import AddressCheck, PriceClaim, PriceQuote, Withdrawable, WithdrawResult
from actions.words import Words


def withdrawal_summary(found: Withdrawable, w: Words) -> str:
    lines = [w("withdraw_request.intro", order_no=found["order_no"])]
    lines += [w("withdraw_request.line", kind=w.label("request_kinds", r["kind"]), ref=r["reference"])
              for r in found["open"]]
    lines.append(w("withdraw_request.question"))
    return "\n".join(lines)


def withdrawal_result_texts(result: WithdrawResult, w: Words) -> list[str]:
    """What was withdrawn and what happens now; or why nothing could be, and what is possible."""
    withdrawn = result.get("withdrawn") or []
    if withdrawn:
        texts_ = [w("withdraw_request.done", kind=w.label("request_kinds", r["kind"]), ref=r["reference"])
                  for r in withdrawn]
        texts_ += [w(f"withdraw_request.after.{kind}") for kind in dict.fromkeys(r["kind"] for r in withdrawn)]
        return texts_
    if result.get("open"):  # open, but the offer was not made (a failure a moment ago): ask again
        return [w("withdraw_request.ask_again")]
    closed = result.get("closed") or []
    if not closed:
        return [w("withdraw_request.nothing", order_no=result["order_no"])]
    newest = closed[0]
    texts_ = [w(f"withdraw_request.refused.{newest['refusal']}", kind=w.label("request_kinds", newest["kind"]),
                ref=newest["reference"])]
    if newest["refusal"] == "carried_out":
        texts_.append(w(f"withdraw_request.possible.{newest['kind']}"))
    return texts_


def _price_lines(quote: PriceQuote, w: Words) -> list[str]:
    return [w("price_protection.line", title=i["title"], paid=w.money(i["paid_unit_price"], quote["currency"]),
              now=w.money(i["current_unit_price"], quote["currency"]), quantity=i["quantity"],
              difference=w.money(i["difference"], quote["currency"])) for i in quote["items"]]


def price_protection_summary(quote: PriceQuote, w: Words) -> str:
    return "\n".join([
        w("price_protection.intro", order_no=quote["order_no"], days=quote["window_days"],
          deadline=w.when(quote["window_ends_at"])),
        *_price_lines(quote, w),
        w("price_protection.total", total=w.money(quote["total"], quote["currency"]),
          channel=w.label("channels", quote["channel"]), eta=w.eta(quote["eta"])),
        w("price_protection.question")])


def price_protection_result_texts(result: PriceClaim, w: Words) -> list[str]:
    """The refund of the difference, or why there is none — with the figures."""
    quote, refund = result["quote"], result.get("refund")
    if refund is not None:
        return [w("price_protection.done", amount=w.money(refund["amount"], refund["currency"]),
                  channel=w.label("channels", refund["channel"]), eta=w.eta(quote["eta"]),
                  refund_no=refund["refund_no"]), w("result.progress_hint")]
    verdict = quote["verdict"]
    if verdict == "eligible":  # eligible, but the offer was not made (a failure a moment ago): ask again
        return [w("price_protection.ask_again")]
    if verdict == "no_drop":
        return [w("price_protection.verdicts.no_drop"),
                *[w("price_protection.unchanged_line", title=i["title"],
                    paid=w.money(i["paid_unit_price"], quote["currency"]),
                    now=w.money(i["current_unit_price"], quote["currency"])) for i in quote["unchanged"]]]
    return [w(f"price_protection.verdicts.{verdict}", days=quote["window_days"] or "",
              deadline=w.when(quote["window_ends_at"]), order_no=quote["order_no"])]


def address_change_summary(order_no: str, new_address: str, w: Words) -> str:
    return "\n".join([w("change_address.intro", order_no=order_no), w("change_address.line", address=new_address),
                      w("change_address.question")])


def address_change_result_texts(result: AddressCheck, w: Words) -> list[str]:
    """The address changed (and the shop told), or why it cannot change and what can be done."""
    if result.get("status") == "changed":
        return [w("change_address.done", address=result["ship_to"], ticket_no=result["ticket"]["ticket_no"])]
    if result["verdict"] == "changeable":  # changeable, but the offer was not made (a failure a moment ago)
        return [w("change_address.ask_again")]
    if result["verdict"] == "shipped":
        return [w("change_address.shipped"),
                w("change_address.intercept" if result["interception_offered"] else "change_address.refuse")]
    return [w("change_address.no_address" if result["verdict"] == "no_address" else "change_address.closed")]


def address_change_buttons(result: AddressCheck, w: Words) -> list[dict[str, str]]:
    """Once shipped, the way on as a button — never a yes/no question the dialogue cannot answer."""
    if result.get("status") == "changed" or result.get("verdict") != "shipped":
        return []
    if result["interception_offered"]:
        return [{"title": w("change_address.intercept_button"), "payload": "/intercept_delivery"}]
    return [{"title": w("change_address.refuse_button"), "payload": "/return_goods"}]
