"""VNPay (internet banking and cards through the VNPay gateway), API v2.1.0.

Checkout: we redirect the citizen to the gateway with a signed query; the gateway redirects
them back to our return URL (which only shows the outcome) and calls our IPN URL server to
server (which is the only thing that credits money). Signature: HMAC-SHA512 with the hash
secret over the `vnp_*` parameters sorted by name, names and values URL-encoded, joined by &.
We sign without empty parameters (as VNPay's checkout samples build the URL); VNPay's IPN and
return samples hash every `vnp_*` parameter, an empty one as `vnp_X=`: either form verifies.

VNPay's samples URL-encode with their language's own function (`ENCODINGS`), which agree on all
but ~ * ! ( ) ': a hash over any of them verifies. Each is a faithful encoding (decoding it gives
back the one query it was made of), so accepting all of them accepts no other parameters.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote_plus

from kernel.clock import UTC, VN_TZ
from kernel.signing import same_secret
from kernel.text import is_ascii_digits
from payments.channels.common import PLAUSIBLE_YEARS

VERSION = "2.1.0"
HASH_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")

# The IPN reply contract: VNPay reads RspCode and retries unless it is 00 or 02.
CONFIRMED = ("00", "Confirm Success")
ORDER_NOT_FOUND = ("01", "Order not found")
ALREADY_CONFIRMED = ("02", "Order already confirmed")
INVALID_AMOUNT = ("04", "invalid amount")
INVALID_SIGNATURE = ("97", "Invalid Checksum")
UNKNOWN_ERROR = ("99", "Unknown error")


# Which of ~ * ! ( ) ' each of VNPay's samples leaves as it is (all of them keep letters, digits and -_.,
# write a space as + and UTF-8 bytes as upper-case %XX). Ours is Python's quote_plus. VNPay's Java sample
# encodes as US-ASCII, every other letter as %3F: the same as its UTF-8 form for ASCII text, and for any
# other a text that stands for many (it is not taken: a hash over it would verify other letters).
ENCODINGS = {"python": "~", "php": "", "java": "*", "dotnet": "!*()", "node": "~*!()'"}
_DIFFERING = frozenset("~*!()'")


def _encode(text: str, left_as_is: str) -> str:
    encoded = quote_plus(text, safe=left_as_is)
    return encoded if "~" in left_as_is else encoded.replace("~", "%7E")  # quote_plus never encodes ~


def query_string(params: Mapping[str, str], *, encoding: str = "python") -> str:
    left_as_is = ENCODINGS[encoding]
    return "&".join(f"{_encode(key, left_as_is)}={_encode(str(params[key]), left_as_is)}" for key in sorted(params))


def _signed(params: Mapping[str, str], *, keep_empty: bool) -> dict[str, str]:
    return {k: v for k, v in params.items()
            if k.startswith("vnp_") and k not in HASH_FIELDS and (keep_empty or v != "")}


def _hmac(text: str, secret: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


def secure_hash(params: Mapping[str, str], secret: str, *, keep_empty: bool = False) -> str:
    return _hmac(query_string(_signed(params, keep_empty=keep_empty)), secret)


def _encodings_differ(params: Mapping[str, str]) -> bool:
    return any(not _DIFFERING.isdisjoint(key) or not _DIFFERING.isdisjoint(value) for key, value in params.items())


def verify(params: Mapping[str, str], secrets: tuple[str, ...]) -> bool:
    given = params.get("vnp_SecureHash", "").lower()
    if not given:
        return False
    texts = {query_string(_signed(params, keep_empty=keep), encoding=encoding)
             for keep in ((False, True) if "" in params.values() else (False,))
             for encoding in (ENCODINGS if _encodings_differ(params) else ("python",))}
    return any(same_secret(_hmac(text, s), given) for s in secrets for text in texts)


def for_merchant(params: Mapping[str, str], tmn_codes: tuple[str, ...]) -> bool:
    """Whether the IPN is about one of our terminals (vnp_TmnCode), not another merchant's order."""
    return params.get("vnp_TmnCode", "") in tmn_codes


def vnpay_time(at: datetime) -> str:
    return at.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")


def parse_vnpay_time(text: str) -> datetime | None:
    """`yyyyMMddHHmmss` in Hà Nội time -> aware UTC; None when it is not a time of the years a
    payment can be made in (`PLAUSIBLE_YEARS`; year 1 overflows the conversion to UTC)."""
    try:
        instant = datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=VN_TZ).astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return instant if instant.year in PLAUSIBLE_YEARS else None


def checkout_url(*, gateway_url: str, tmn_code: str, secret: str, txn_ref: str, amount_vnd: int,
                 order_info: str, return_url: str, client_ip: str, now: datetime,
                 ttl: timedelta = timedelta(minutes=15), locale: str = "vn") -> str:
    """The signed redirect URL for one checkout (amount in VND x 100, as VNPay wants)."""
    params = {
        "vnp_Version": VERSION, "vnp_Command": "pay", "vnp_TmnCode": tmn_code,
        "vnp_Amount": str(amount_vnd * 100), "vnp_CurrCode": "VND", "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": order_info, "vnp_OrderType": "other", "vnp_Locale": locale,
        "vnp_ReturnUrl": return_url, "vnp_IpAddr": client_ip or "127.0.0.1",
        "vnp_CreateDate": vnpay_time(now), "vnp_ExpireDate": vnpay_time(now + ttl),
    }
    return f"{gateway_url}?{query_string(params)}&vnp_SecureHash={secure_hash(params, secret)}"


@dataclass(frozen=True)
class IpnResult:
    txn_ref: str
    amount_vnd: int | None
    paid: bool
    transaction_no: str
    response_code: str
    paid_at: datetime | None
    bank_code: str | None


# More digits than any vnp_Amount (MAX_MONEY_VND x 100 has 15): not read at all, as int() refuses text of
# more than 4,300 digits with a bare ValueError (the IPN answered 99, and VNPay retrying it for ever).
_MAX_AMOUNT_DIGITS = 20


def read_ipn(params: Mapping[str, str]) -> IpnResult:
    """The fields of a verified IPN (amount back from VND x 100; None when it is not whole đồng, or is
    longer than any amount: either way not the order's amount, `INVALID_AMOUNT`)."""
    raw_amount = params.get("vnp_Amount", "")
    readable = is_ascii_digits(raw_amount) and len(raw_amount) <= _MAX_AMOUNT_DIGITS
    amount = int(raw_amount) // 100 if readable and int(raw_amount) % 100 == 0 else None
    return IpnResult(
        txn_ref=params.get("vnp_TxnRef", ""), amount_vnd=amount,
        paid=params.get("vnp_ResponseCode") == "00" and params.get("vnp_TransactionStatus") == "00",
        transaction_no=params.get("vnp_TransactionNo", ""), response_code=params.get("vnp_ResponseCode", ""),
        paid_at=parse_vnpay_time(params.get("vnp_PayDate", "")), bank_code=params.get("vnp_BankCode"),
    )


# --- the return page: what to tell the citizen VNPay sent back ------------------------------------
# The return page never credits (only the IPN does); it only must not mislead. VNPay's vnp_ResponseCode
# values by which the payment failed before any money left the payer's account (VNPay API v2.1.0 table):
# 09 not enrolled in internet banking, 10 wrong card details 3 times, 11 payment window expired, 12 card or
# account locked, 13 wrong OTP, 24 cancelled by the customer, 51 insufficient balance, 65 daily limit,
# 75 bank under maintenance, 79 wrong payment password too many times. Anything else (07: debited but held
# as suspicious; 99: other errors) may have taken money.
FAILED_BEFORE_DEBIT = frozenset({"09", "10", "11", "12", "13", "24", "51", "65", "75", "79"})
TRANSACTION_SUCCEEDED, TRANSACTION_FAILED = "00", "02"  # vnp_TransactionStatus; 01 unfinished, 04 reversed, ...
RETURN_PAID, RETURN_NOT_DEBITED, RETURN_CHECKING = "paid", "not_debited", "checking"


@dataclass(frozen=True)
class ReturnOutcome:
    outcome: str  # RETURN_PAID, RETURN_NOT_DEBITED (safe to say no money was taken) or RETURN_CHECKING
    code_field: str  # which code tells what happened: "response" or "transaction_status"
    code: str


def return_outcome(params: Mapping[str, str]) -> ReturnOutcome:
    """What a verified return says happened. "No money was taken" only when VNPay says the payment failed
    before the debit (a failure response code and a failed transaction); when the response code is 00 but
    the transaction status is not, that status is the code that failed."""
    response = params.get("vnp_ResponseCode", "")
    status = params.get("vnp_TransactionStatus", "")
    if response == "00" and status == TRANSACTION_SUCCEEDED:
        return ReturnOutcome(RETURN_PAID, "response", response)
    if response == "00":
        return ReturnOutcome(RETURN_CHECKING, "transaction_status", status)
    if response in FAILED_BEFORE_DEBIT and status == TRANSACTION_FAILED:
        return ReturnOutcome(RETURN_NOT_DEBITED, "response", response)
    return ReturnOutcome(RETURN_CHECKING, "response", response)
