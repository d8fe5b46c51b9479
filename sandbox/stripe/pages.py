"""The hosted pages a person clicks through in a browser: Connect onboarding (account
links), Checkout in setup mode (a card form), the hosted invoice page (pay with a test card)
with its PDF, and charge receipts. Plain HTML forms, no JavaScript."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from sandbox.stripe import cards
from sandbox.stripe.api import Api, Ctx, Reply, StripeError, decode_form, money
from sandbox.stripe.store import new_id

STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#30313d;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 2px 8px rgba(0,0,0,.08)}
h1{font-size:1.3rem} label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1.2rem;width:100%;padding:.7rem;font-size:1rem;background:#635bff;
color:#fff;border:0;border-radius:6px;cursor:pointer}
.error{color:#df1b41;background:#fff0f2;padding:.6rem;border-radius:6px}
.muted{color:#6a7383;font-size:.9rem} .row{display:flex;gap:.8rem} .row>div{flex:1}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:4px;background:#e3e8ee}
"""


def page(title: str, body: str, status: int = 200) -> Reply:
    text = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style></head><body><main><p class=muted>Stripe stand-in "
            f"(test mode)</p>{body}</main></body></html>")
    return Reply(status, raw=text, content_type="text/html; charset=utf-8")


def redirect(url: str) -> Reply:
    return Reply(303, raw=b"", headers={"Location": url}, content_type="text/plain")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


class Pages:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.store = api.store

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> Reply | None:
        parts = [p for p in path.split("/") if p]
        form = decode_form(body.decode("utf-8", "replace")) if method == "POST" else {}
        ip = headers.get("X-Forwarded-For") or "127.0.0.1"
        agent = headers.get("User-Agent") or ""
        with self.store.lock:
            self.api.tick(self.store.now())
            if len(parts) == 4 and parts[:2] == ["setup", "s"]:
                return self.onboarding(method, parts[2], parts[3], form, ip, agent)
            if len(parts) == 3 and parts[:2] == ["c", "pay"]:
                return self.checkout(method, parts[2], form)
            if len(parts) in (3, 4) and parts[0] == "i":
                if len(parts) == 4 and parts[3] == "pdf":
                    return self.invoice_pdf(parts[1], parts[2])
                return self.invoice(method, parts[1], parts[2], form)
            if len(parts) == 2 and parts[0] == "receipts":
                return self.receipt(parts[1])
        return None

    # -- Connect onboarding -----------------------------------------------------------------
    def onboarding(self, method: str, acct_id: str, token: str, form: dict, ip: str,
                   agent: str) -> Reply:
        link = self.store.get("link_" + token, "")
        if link is None or link["account"] != acct_id:
            return page("Link not found", "<h1>This link is not valid</h1>", 404)
        if link["used"] or link["expires_at"] < self.store.now():
            # Stripe sends an expired or used link to the platform's refresh_url
            if link.get("refresh_url"):
                return redirect(link["refresh_url"])
            return page("Link expired", "<h1>This link has expired</h1>", 410)
        acct = self.store.get(acct_id, "") or {}
        if method == "POST":
            link["used"] = True
            self.store.put(link, "")
            self.api.account_onboard(acct_id, name=str(form.get("business_name", "")).strip(),
                                     last4=str(form.get("account_number", "")).strip(),
                                     tax_id=str(form.get("tax_id", "")).strip(), ip=ip,
                                     user_agent=agent)
            if link.get("return_url"):
                return redirect(link["return_url"])
            return page("Done", "<h1>You're all set</h1><p>You can close this window.</p>")
        name = acct.get("business_profile", {}).get("name") or ""
        title = ("Update your business details" if link["type"] == "account_update"
                 else "Set up payments for your business")
        leave = (f'<p class=muted><a href="{esc(link["return_url"])}">Save and return '
                 f"later</a></p>") if link.get("return_url") else ""
        body = f"""<h1>{title}</h1>
<p class=muted>Account {esc(acct_id)}. Tax ID <code>000000000</code> leaves the account
restricted; <code>111111111</code> leaves it pending verification.</p>
<form method=post>
<label for=business_name>Legal business name</label>
<input id=business_name name=business_name required value="{esc(name)}">
<label for=routing_number>Bank routing number</label>
<input id=routing_number name=routing_number value="110000000" inputmode=numeric>
<label for=account_number>Bank account number</label>
<input id=account_number name=account_number value="000123456789" inputmode=numeric>
<label for=tax_id>Tax ID (EIN)</label>
<input id=tax_id name=tax_id required placeholder="12-3456789">
<button type=submit>Agree and submit</button>
</form>{leave}"""
        return page("Stripe onboarding", body)

    # -- Checkout (setup mode) --------------------------------------------------------------
    def _session(self, cs_id: str) -> tuple[str, dict] | None:
        account = self.store.account_of(cs_id)
        if account is None:
            return None
        cs = self.store.get(cs_id, account)
        return (account, cs) if cs and cs.get("object") == "checkout.session" else None

    def checkout(self, method: str, cs_id: str, form: dict) -> Reply:
        found = self._session(cs_id)
        if found is None:
            return page("Not found", "<h1>This Checkout page does not exist</h1>", 404)
        account, cs = found
        error = ""
        if method == "POST" and cs["status"] == "open":
            try:
                month, year = self._expiry(str(form.get("expiry", "")))
            except ValueError:
                error = "Your card's expiration date is incomplete."
            else:
                done, error = self.api.cs_complete(
                    account, cs_id, number=str(form.get("cardnumber", "")), exp_month=month,
                    exp_year=year, name=str(form.get("name", "")).strip() or None,
                    email=str(form.get("email", "")).strip() or None,
                    postal_code=str(form.get("postal", "")).strip() or None)
                if done is not None:
                    return redirect(self._success(done))
        if cs["status"] == "complete":
            return redirect(self._success(cs))
        if cs["status"] != "open":
            return page("Expired", "<h1>This Checkout Session has expired</h1>", 410)
        cus = self.store.get(cs["customer"], account) if cs.get("customer") else None
        email = (cus or {}).get("email") or cs.get("customer_email") or ""
        acct = self.store.get(account, "") if account else None
        merchant = ((acct or {}).get("business_profile") or {}).get("name") or "this business"
        cancel = (f'<p class=muted><a href="{esc(cs["cancel_url"])}">Cancel</a></p>'
                  if cs.get("cancel_url") else "")
        err = f'<p class=error role=alert>{esc(error)}</p>' if error else ""
        body = f"""<h1>Save a card with {esc(merchant)}</h1>
<p class=muted>Your card will be saved for future payments. Test cards: 4242 4242 4242
4242 (succeeds), 4000 0000 0000 0002 (declined), 4000 0027 6000 3184 (needs
authentication off-session).</p>{err}
<form method=post>
<label for=email>Email</label><input id=email name=email type=email value="{esc(email)}">
<label for=cardnumber>Card number</label>
<input id=cardnumber name=cardnumber autocomplete=cc-number inputmode=numeric required
placeholder="1234 1234 1234 1234">
<div class=row><div><label for=expiry>Expiry (MM / YY)</label>
<input id=expiry name=expiry required placeholder="MM / YY"></div>
<div><label for=cvc>CVC</label><input id=cvc name=cvc required placeholder="CVC"></div></div>
<label for=name>Cardholder name</label><input id=name name=name>
<label for=postal>ZIP</label><input id=postal name=postal>
<button type=submit>Save card</button></form>{cancel}"""
        return page("Checkout", body)

    @staticmethod
    def _expiry(text: str) -> tuple[int, int]:
        digits = [p for p in text.replace(" ", "").replace("-", "/").split("/") if p]
        if len(digits) != 2:
            raise ValueError(text)
        month, year = int(digits[0]), int(digits[1])
        if year < 100:
            year += 2000
        if not 1 <= month <= 12:
            raise ValueError(text)
        return month, year

    @staticmethod
    def _success(cs: dict) -> str:
        url = cs.get("success_url") or cs.get("_return_url") or "about:blank"
        return url.replace("{CHECKOUT_SESSION_ID}", cs["id"])

    # -- hosted invoice page ----------------------------------------------------------------
    def _invoice(self, account_part: str, token: str) -> tuple[str, dict] | None:
        account = "" if account_part == "platform" else account_part
        for inv in self.store.all("invoice", account):
            if inv.get("_token") == token and not inv.get("_deleted"):
                return account, inv
        return None

    def invoice(self, method: str, account_part: str, token: str, form: dict) -> Reply:
        found = self._invoice(account_part, token)
        if found is None or found[1]["status"] == "draft":
            return page("Not found", "<h1>Invoice not found</h1>", 404)
        account, inv = found
        error = ""
        if method == "POST" and inv["status"] in ("open", "uncollectible"):
            error = self._pay(account, inv, form)
            if not error:
                return redirect(self.api.base_url + f"/i/{account_part}/{token}")
            inv = self.store.get(inv["id"], account) or inv
        acct = self.store.get(account, "") if account else None
        merchant = ((acct or {}).get("business_profile") or {}).get("name") or "Invoice"
        lines = "".join(f"<tr><td>{esc(li['description'])}</td><td>{money(li['amount'])}</td>"
                        f"</tr>" for li in inv["lines"]["data"])
        err = f'<p class=error role=alert>{esc(error)}</p>' if error else ""
        status = inv["status"]
        head = f"""<h1>{esc(merchant)}</h1>
<p>Invoice {esc(inv['number'])} <span class=badge id=status>{esc(status)}</span></p>
<p><strong id=amount>{money(inv['amount_remaining'] if status != 'paid' else
                             inv['amount_paid'])}</strong>
{'paid' if status == 'paid' else 'due'}</p>
<table>{lines}</table>
<p class=muted><a href="{esc(inv['invoice_pdf'])}">Download invoice (PDF)</a></p>{err}"""
        if status in ("open", "uncollectible"):
            head += """<form method=post>
<label for=cardnumber>Card number</label>
<input id=cardnumber name=cardnumber inputmode=numeric required placeholder="4242 4242 4242 4242">
<div class=row><div><label for=expiry>Expiry (MM / YY)</label>
<input id=expiry name=expiry required placeholder="MM / YY"></div>
<div><label for=cvc>CVC</label><input id=cvc name=cvc required></div></div>
<button type=submit>Pay</button></form>"""
        elif status == "paid":
            head += "<p role=status>This invoice has been paid. Thank you.</p>"
        else:
            head += f"<p role=status>This invoice is {esc(status)}.</p>"
        return page(f"Invoice {inv['number']}", head)

    def _pay(self, account: str, inv: dict, form: dict) -> str:
        card = cards.card_for_number(str(form.get("cardnumber", "")))
        if card is None:
            return "Your card number is invalid. Use one of Stripe's test cards."
        try:
            month, year = self._expiry(str(form.get("expiry", "")))
        except ValueError:
            return "Your card's expiration date is incomplete."
        today = dt.datetime.fromtimestamp(self.store.now(), dt.UTC).date()
        if (year, month) < (today.year, today.month):
            return "Your card's expiration date is in the past."
        pm = self.api.make_pm(account, card, exp_month=month, exp_year=year)
        pm["_set_up"] = True  # the payer is on the page and authenticates
        self.store.put(pm, account)
        ctx = Ctx("POST", "/hosted", account, {}, self.store.now(), new_id("req_", 14))
        try:
            self.api.pay_invoice_with(ctx, inv, pm["id"], off_session=False)
            return ""
        except StripeError as exc:
            return exc.body["error"]["message"]
        finally:
            for event in ctx.events:
                self.api.on_event(event)

    def invoice_pdf(self, account_part: str, token: str) -> Reply:
        found = self._invoice(account_part, token)
        if found is None:
            return page("Not found", "<h1>Invoice not found</h1>", 404)
        _, inv = found
        lines = [f"Invoice {inv['number']}", f"Status: {inv['status']}",
                 f"Amount due: {money(inv['amount_due'])}",
                 *[f"{li['description'] or ''}  {money(li['amount'])}"
                   for li in inv["lines"]["data"]]]
        return Reply(200, raw=tiny_pdf(lines), content_type="application/pdf")

    def receipt(self, ch_id: str) -> Reply:
        account = self.store.account_of(ch_id)
        ch = self.store.get(ch_id, account) if account is not None else None
        if ch is None or ch.get("object") != "charge":
            return page("Not found", "<h1>Receipt not found</h1>", 404)
        card = ch["payment_method_details"]["card"]
        return page("Receipt", f"<h1>Receipt</h1><p>{money(ch['amount'])} paid with "
                               f"{esc(card['brand'])} •••• {esc(card['last4'])}</p>"
                               f"<p class=muted>{esc(ch['id'])}</p>")


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with the given lines of text (Helvetica), valid enough for viewers."""
    def clean(text: str) -> str:
        return text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\") \
            .replace("(", "\\(").replace(")", "\\)")
    content = "BT /F1 12 Tf 72 760 Td 16 TL " + " ".join(f"({clean(t)}) '" for t in lines) + \
        " ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            ).encode()
    return out

