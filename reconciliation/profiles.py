"""Bank export layouts (CSV/XLSX): which header names mean which column. Pure.

Headers are compared after `normalise_header` (no accents, lower case, punctuation to
spaces), so `Số tiền ghi có/ Credit`, `SO TIEN GHI CO` and `Credit amount` all read the same.
A phrase matches when it appears as whole words inside the header cell; fields are tried
in `FIELD_ORDER` so the specific ones (debit, credit, balance) win over the generic amount.
Most banks differ only in wording, so one synonym table serves all; a profile adds the
words that identify a bank (for the import's record) and any layout quirk.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_STROKE_D = str.maketrans({"Đ": "D", "đ": "d", "Ð": "D"})

SYNONYMS: dict[str, tuple[str, ...]] = {
    "debit": ("ghi no", "so tien no", "phat sinh no", "ps no", "giao dich no", "tien no", "no vnd", "rut ra",
              "so tien rut", "tien ra", "so tien chi", "tien chi", "debit", "debits", "withdrawal", "withdrawals",
              "dr amount", "money out", "no tktt", "rut tien", "tien chuyen di",
              "phat sinh giam", "ps giam"),
    "credit": ("ghi co", "so tien co", "phat sinh co", "ps co", "giao dich co", "tien co", "co vnd", "gui vao",
               "so tien gui", "tien vao", "so tien thu", "tien thu", "credit", "credits", "deposit", "deposits",
               "cr amount", "money in", "co tktt", "nop tien", "tien nhan",
               "gui tien", "phat sinh tang", "ps tang"),
    "balance": ("so du", "so ton", "balance", "running balance", "closing balance"),
    # What the bank took for the row's transaction, in a column of its own beside its amount (`tabular`).
    "fee": ("phi", "so tien phi", "phi giao dich", "phi dich vu", "fee", "fees", "charge", "charges",
            "bank charge", "bank charges"),
    "fee_vat": ("vat", "thue vat", "thue gtgt", "vat phi", "vat amount"),
    "amount": ("so tien giao dich", "so tien", "amount", "transaction amount", "gia tri"),
    "direction": ("no co", "debit credit", "credit debit", "dr cr", "cr dr", "d c", "c d", "chieu giao dich",
                  "chieu gd"),
    # Side marks (`Ghi có`/`Ghi nợ`) in some exports, transaction types (`Chuyển khoản`) in others, as `Loại`
    # alone (`EXACT`): the values tell (`tabular`).
    "kind": ("loai giao dich", "loai gd", "transaction type"),
    "value_date": ("ngay hieu luc", "ngay hl", "value date", "value dt", "effective date", "ngay gia tri"),
    # A date-time column: tried before `time` ("Ngày giờ giao dịch" also contains "giờ giao dịch").
    "datetime": ("ngay gio giao dich", "ngay gio gd", "ngay gio", "date time", "datetime", "thoi diem giao dich",
                 "thoi diem"),
    "time": ("gio giao dich", "gio", "time"),
    "date": ("ngay giao dich", "ngay gd", "ngay hach toan", "ngay ghi so", "thoi gian giao dich", "ngay thuc hien",
             "txn date", "tnx date", "transaction date", "posting date", "booking date", "trans date", "ngay",
             "date", "thoi gian"),
    "ref": ("so tham chieu", "ma tham chieu", "so chung tu", "so ct", "ma giao dich", "ma gd", "so giao dich", "so gd",
            "so but toan", "doc no", "reference number", "reference no", "reference", "ref no", "ref",
            "transaction id", "transaction no", "trace no", "so ref", "so hieu giao dich", "so hieu gd", "trans no"),
    "payer_account": ("so tai khoan doi ung", "tai khoan doi ung", "tk doi ung", "stk doi ung", "so tai khoan doi tac",
                      "tai khoan doi tac", "tk doi tac", "stk doi tac", "tai khoan nguoi chuyen", "tk nguoi chuyen",
                      "counterparty account", "remitter account", "payer account", "account no doi ung",
                      # `Remitter A/C`, `Sender account`, `Số TK người nộp`: the payer's account, not their name.
                      "remitter a c", "remitter acc", "sender a c", "sender acc", "sender account", "counterparty a c",
                      "counterparty acc", "tai khoan nguoi nop", "tk nguoi nop", "tai khoan nguoi gui", "tk nguoi gui"),
    "payer_name": ("ten tai khoan doi ung", "ten doi ung", "ten nguoi chuyen", "nguoi chuyen", "ten khach hang",
                   "nguoi gui", "don vi chuyen",
                   "doi tac", "counterparty name", "remitter name", "remitter", "payer name", "beneficiary name",
                   "ten nguoi nop", "nguoi nop", "sender name", "sender", "counterparty"),
    "memo": ("noi dung chi tiet", "noi dung giao dich", "noi dung", "dien giai", "mo ta", "chi tiet", "ghi chu",
             "thong tin giao dich", "thong tin thanh toan",
             "transactions in detail", "transaction details", "description", "details", "narrative", "remark",
             "remarks", "memo", "content", "narration", "loi nhan"),
    # Whether the transfer went through, in transaction-history exports (`NOT_BOOKED`).
    "status": ("trang thai", "tinh trang", "status"),
    # The row's currency in a multi-currency export: a row in another is refused (`tabular`), not read as đồng.
    "currency": ("loai tien", "tien te", "don vi tien", "currency", "ccy"),
}
# (The currency is tried last: "Amount in account currency" is the amount.)
# ("Số tiền phí" is a fee, tried before the amount: it held "số tiền" and was read as the row's amount.)
# ("no tktt"/"co tktt": Techcombank's "Nợ TKTT"/"Có TKTT", debit/credit of the current account, TKTT;
# "Rút tiền"/"Nộp tiền", "Số tiền chuyển đi"/"Số tiền nhận": withdrawals and deposits as some exports word them;
# "Phát sinh giảm"/"Phát sinh tăng": the account's decrease and increase, as ledgers word them.)
# Specific before generic: debit/credit/balance before amount, the value date before amount
# ("Ngày giá trị" holds "giá trị"), the payer's account before the payer ("Tài khoản đối tác").
FIELD_ORDER = ("direction", "kind", "debit", "credit", "balance", "value_date", "payer_account", "payer_name",
               "fee_vat", "fee", "amount", "datetime", "time", "date", "ref", "memo", "currency", "status")
# The fee columns, and the memo a fee's own line is given (before the row's memo).
FEE_FIELDS = {"fee": "Phí", "fee_vat": "Thuế VAT phí"}
# A header cell holding one of these words is not that field ("Tên tài khoản đối ứng" is a name; "Tài khoản
# ghi có", the account credited, holds account numbers, which read as money would be a credit's amount).
_ACCOUNT_WORDS = ("tai khoan", "tk", "stk", "account")
# A fee's code, type, wording or bearer is no fee's money ("Mã phí", "Loại phí", "Biểu phí", "Mô tả phí", "Người
# chịu phí", "Charge bearer"), nor is the account it is taken from; a column of fees or interest ("Phí/Lãi") holds
# money of either side, which a fee column (always money out) would misread.
_NOT_FEE = _ACCOUNT_WORDS + ("ma", "loai", "bieu", "noi dung", "mo ta", "dien giai", "chi tiet", "ghi chu", "ten",
                             "chiu", "hinh thuc", "code", "type", "description", "bearer", "lai", "interest")
# A person's column is no money: "Người nộp tiền", "Tên người gửi tiền" hold "nộp tiền", "gửi tiền" (money in).
_PERSON_WORDS = ("nguoi", "ten", "name")
NOT_FIELD = {"payer_account": ("ten", "name"), "debit": _ACCOUNT_WORDS + _PERSON_WORDS,
             "credit": _ACCOUNT_WORDS + _PERSON_WORDS,
             "fee": _NOT_FEE, "fee_vat": _NOT_FEE,
             # "Lời nhắn người gửi" is the sender's memo; "Ngân hàng đối tác", "Sender bank" the payer's bank; an
             # account header ("Remitter A/C", "Số TK đối tác") the payer's account (tried first), never a name.
             "payer_name": ("noi dung", "loi nhan", "ngan hang", "bank", "a c", "acc", "so tai khoan", "so tk", "stk",
                            "ref", "reference", "tham chieu", "message", "note", "remark", "remarks", "content",
                            "details", "description")}  # "Sender's message" is the memo
# A header cell starting with these words is a total, not a transaction column ("Tổng ghi có").
TOTAL_WORDS = ("tong", "total", "cong", "sum")
MONEY_FIELDS = ("debit", "credit", "amount", "balance")
# Preamble/footer labels.
ACCOUNT_LABELS = ("so tai khoan", "tai khoan", "so tk", "stk", "account number", "account no", "account")
NOT_ACCOUNT_LABELS = ("chu tai khoan", "ten tai khoan", "loai tai khoan", "account name", "account holder",
                      "account type", "doi ung")
# The period a statement's title gives (`Từ ngày 24/11/2026 đến ngày 24/11/2026`, `Kỳ sao kê: 24/11/2026 -
# 24/11/2026`, `From date … To date …`), on one row or over its cells; compared without diacritics, each date
# right after its label. A date after any other label (`Ngày in`, the print date) is no period's.
_PERIOD_DATE = r"(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{1,2}-\d{1,2})"
PERIOD_FROM = re.compile(rf"\b(?:tu ngay|from date|from)\s*:?\s*{_PERIOD_DATE}")
PERIOD_TO = re.compile(rf"\b(?:den ngay|to date|to)\s*:?\s*{_PERIOD_DATE}")
PERIOD_SPAN = re.compile(rf"\b(?:ky sao ke|ky bao cao|thoi gian sao ke|statement period|period)\s*:?\s*"
                         rf"{_PERIOD_DATE}\s*(?:-|–|den ngay|den|to)\s*{_PERIOD_DATE}")


def plain_text(text: str) -> str:
    """Lower case without diacritics, punctuation kept (a date's slashes): `Từ ngày: 24/11` -> `tu ngay: 24/11`."""
    value = unicodedata.normalize("NFD", text.translate(_STROKE_D))
    return "".join(ch for ch in value if not unicodedata.combining(ch)).lower()


def period_in(text: str) -> tuple[str | None, str | None]:
    """(the first day's date text, the last day's) a title row names, each None when it names none."""
    plain = " ".join(plain_text(text).split())
    span = PERIOD_SPAN.search(plain)
    if span:
        return span[1], span[2]
    start, end = PERIOD_FROM.search(plain), PERIOD_TO.search(plain)
    return (start[1] if start else None), (end[1] if end else None)


SUMMARY_SHEETS = ("tong hop", "bao cao tong hop", "summary", "overview")
# A workbook's cover page: the bank, the account, perhaps a table of the days' totals; never transactions.
COVER_SHEETS = ("bia", "trang bia", "cover", "thong tin chung")
CURRENCY_LABELS = SYNONYMS["currency"]
OPENING_LABELS = ("so du dau ky", "so du dau", "opening balance", "beginning balance")
# The period's opening, not a day's ("Số dư đầu ngày"): below a newest-first table it opens its oldest row.
PERIOD_OPENING_LABELS = ("so du dau ky", "opening balance", "beginning balance")
CLOSING_LABELS = ("so du cuoi ky", "so du cuoi", "closing balance", "ending balance")
FOOTER_LABELS = ("tong cong", "tong", "total", "cong phat sinh", "so du cuoi ky", "closing balance",
                 "ending balance", "so du dau ky", "opening balance")
# Rows that label, total or sign the statement rather than record a transaction, wherever the
# label sits (date column, row-number column...). Vietnamese words are compared with their
# diacritics: "Cộng" (sum) is not "Công" (ty), "Tổng" (total) is not "Tống" (a surname).
LABEL_WORDS = ("tổng", "cộng", "số dư", "doanh số", "lũy kế", "luỹ kế", "phát sinh trong kỳ", "ngày in", "người lập",
               "lập biểu", "kế toán", "giám đốc", "thủ quỹ", "kiểm soát", "trưởng phòng", "chữ ký", "ký tên",
               "xác nhận của")
LABEL_PHRASES = ("tong cong", "cong ngay", "cong phat sinh", "cong luy ke", "so du", "doanh so", "luy ke",
                 "phat sinh trong ky", "ngay in", "nguoi lap",
                 "lap bieu", "ke toan", "giam doc", "total", "subtotal", "sub total", "grand total",
                 "opening balance", "closing balance", "ending balance", "beginning balance", "balance brought",
                 "balance carried", "print date", "prepared by", "approved by")
_LABEL_PATTERN = re.compile(
    r"(?:trang|page)\s*\d+(?:\s*(?:/|of|trên)\s*\d+)?\s*$"  # Trang 1/2, Page 3 of 5
    r"|[^\W\d_][^,\d]{1,40},\s*ng[àa]y\s+\d",                 # Hà Nội, ngày 25/11/2026
    re.IGNORECASE)
# Words in a debit/credit marker column.
DIRECTION_MARKERS = {
    "c": "credit", "cr": "credit", "co": "credit", "credit": "credit", "ghi co": "credit", "+": "credit",
    "thu": "credit", "in": "credit", "incoming": "credit", "deposit": "credit", "nhan": "credit",
    "tien vao": "credit", "bao co": "credit",
    "d": "debit", "dr": "debit", "no": "debit", "debit": "debit", "ghi no": "debit", "-": "debit",
    "chi": "debit", "out": "debit", "outgoing": "debit", "withdrawal": "debit", "tien ra": "debit",
    "bao no": "debit",
}
_MARKER_TOKENS = {"c": "credit", "cr": "credit", "co": "credit", "credit": "credit",
                  "d": "debit", "dr": "debit", "no": "debit", "debit": "debit"}

@dataclass(frozen=True)
class Profile:
    name: str
    bank: str
    markers: tuple[str, ...]  # header words that identify this bank's export
    names: tuple[str, ...] = ()  # how the bank names itself above the table (normalised)
    # A date cell that goes on with the bank's document number (`date_and_reference`), when its exports write so.
    dated_reference: re.Pattern[str] | None = None


def _after_the_date(reference: str) -> re.Pattern[str]:
    """A date (and time) cell followed, after a space or a line break, by a reference written `reference`."""
    return re.compile(rf"(?P<date>\S.*?)\s+(?P<ref>{reference})", re.DOTALL)


PROFILES = (
    # Vietcombank's CashUp export has no `Số CT` column: the document number (`5001.12345`) is written
    # under the date in its cell. It is the reference the bank's MT940 gives the line (`500112345`).
    Profile("vcb", "Vietcombank", ("tnx date", "transactions in detail", "so ct doc no"),
            ("vietcombank", "tmcp ngoai thuong", "ngoai thuong viet nam"), _after_the_date(r"\d{3,6}\.\d{3,6}")),
    Profile("vietinbank", "VietinBank", ("thoi gian giao dich", "ten doi ung", "tai khoan doi ung"),
            ("vietinbank", "tmcp cong thuong", "cong thuong viet nam")),
    Profile("bidv", "BIDV", ("so tham chieu", "ngay hieu luc"), ("bidv", "dau tu va phat trien viet nam")),
    Profile("techcombank", "Techcombank", ("remitter", "transaction details"), ("techcombank", "tmcp ky thuong")),
    Profile("mb", "MB Bank", ("so but toan",), ("mb bank", "mbbank", "tmcp quan doi")),
    Profile("acb", "ACB", (), ("acb", "tmcp a chau")),
    Profile("agribank", "Agribank", (), ("agribank", "nong nghiep va phat trien nong thon")),
    Profile("tpbank", "TPBank", (), ("tpbank", "tmcp tien phong")),
    Profile("generic", "", ()),
)
PROFILE_NAMES = tuple(p.name for p in PROFILES)


def normalise_header(text: object) -> str:
    """`Ngày GD/ TNX Date` -> `ngay gd tnx date`."""
    if text is None:
        return ""
    value = str(text).translate(_STROKE_D)
    value = unicodedata.normalize("NFD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", value).split())


def _has_phrase(cell: str, phrase: str) -> bool:
    return f" {phrase} " in f" {cell} "


# A cell that is only one of these words (`Nợ`, `Có`, `Thu`, `Chi`) names the column outright.
EXACT = {"no": "debit", "co": "credit", "debit": "debit", "credit": "credit", "no debit": "debit",
         "co credit": "credit", "dr": "debit", "cr": "credit", "chi": "debit", "thu": "credit", "ton": "balance",
         "giam": "debit", "tang": "credit",
         "thong tin": "memo",  # "Thông tin" alone; "Thông tin người chuyển" is the payer, "Thông tin bổ sung" no memo
         # "Loại" (and English "Type") alone heads a side mark column or a type column: its values tell (`tabular`).
         # "Chiều" (the direction) alone heads side marks in some exports: read the same way, its values decide.
         "loai": "kind", "type": "kind", "chieu": "kind"}
# A row-number column ("No.", "STT", "#"): claimed so that nothing else reads it.
_ROW_NUMBER = re.compile(r"\s*(?:no\s*\.|n[o°º]\s*[.:]|#|stt|s\.t\.t|so tt|số tt|số thứ tự)\s*", re.IGNORECASE)


def _field_of(cell: str, taken: dict[str, int] | None = None) -> str | None:
    if not cell or len(cell) > 120:
        return None
    total = cell.split(" ", 1)[0] in TOTAL_WORDS
    for name in FIELD_ORDER:
        if (total and name in MONEY_FIELDS) or (taken and name in taken):
            continue
        if any(_has_phrase(cell, p) for p in SYNONYMS[name]) and \
                not any(_has_phrase(cell, w) for w in NOT_FIELD.get(name, ())):
            return name
    return None


# The two sides' words a money header may name together ("Số tiền thu/chi", "Tiền vào/ra", "Money in/out").
_SIDE_PAIRS = (("co", "no"), ("thu", "chi"), ("vao", "ra"), ("gui", "rut"), ("in", "out"), ("credit", "debit"),
               ("cr", "dr"))


def names_both_sides(cell: str) -> bool:
    """A (normalised) money header naming money in and money out: its column is one amount, signed or
    marked, not a credit column; read as credits only, money going out would be refused or read as in."""
    words = set(cell.split())
    return any(money_in in words and money_out in words for money_in, money_out in _SIDE_PAIRS)


def map_header(cells: list[object]) -> dict[str, int]:
    """Field -> column index for a candidate header row (each column used once).

    Phrases first, then cells that are a single word (`Nợ`, `Có`) for what is still unclaimed:
    an English `No.` (row number) must not become the debit column when `Debit` is there.
    """
    mapping: dict[str, int] = {}
    normalised = [normalise_header(c) for c in cells]
    claimed = {i for i, raw in enumerate(cells) if isinstance(raw, str) and _ROW_NUMBER.fullmatch(raw)}
    for column, cell in enumerate(normalised):
        if column in claimed:
            continue
        name = _field_of(cell, mapping)
        if name is not None:
            mapping[name] = column
            claimed.add(column)
    for column, cell in enumerate(normalised):
        name = EXACT.get(cell)
        if name is not None and column not in claimed and name not in mapping:
            mapping[name] = column
            claimed.add(column)
    if "amount" in mapping and "direction" not in mapping:
        _mark_naming_both_sides(mapping, normalised)
    sides = [side for side in ("credit", "debit") if side in mapping]
    if len(sides) == 1 and "amount" not in mapping and names_both_sides(normalised[mapping[sides[0]]]):
        # "Số tiền thu/chi" (or "chi/thu", read as the debit side): one signed (or marked) amount
        mapping["amount"] = mapping.pop(sides[0])
    if "direction" in mapping and not sides and "amount" not in mapping \
            and names_both_sides(normalised[mapping["direction"]]):
        # "Phát sinh Nợ/Có", "Debit/Credit amount" with no money column besides: read as a side mark, the
        # table had no money and was refused; it is the one signed amount, as "Phát sinh Có/Nợ" is
        mapping["amount"] = mapping.pop("direction")
    if "datetime" in mapping:
        column = mapping.pop("datetime")
        mapping.setdefault("date", column)
    if "date" not in mapping and "value_date" in mapping:
        mapping["date"] = mapping.pop("value_date")  # the only date a bank gives is the value date
    if "date" not in mapping and "time" in mapping:
        mapping["date"] = mapping.pop("time")  # "Transaction Time", "Booking time": the only date, with its time
    return mapping


def _mark_naming_both_sides(mapping: dict[str, int], normalised: list[str]) -> None:
    """Beside an amount column, a column whose header names both sides (`Ghi nợ/Ghi có`, `Có/Nợ`, `Thu/Chi`)
    holds each row's side mark, not money: its first side word would make it that side's money column
    (or none), and every unsigned amount beside it would be read as a credit (a bank fee as money in)."""
    for column, cell in enumerate(normalised):
        if column == mapping["amount"] or not names_both_sides(cell):
            continue
        taken = [name for name, index in mapping.items() if index == column]
        others = [side for side in ("credit", "debit") if side in mapping and mapping[side] != column]
        if set(taken) <= {"credit", "debit"} and not others:
            for name in taken:
                del mapping[name]
            mapping["direction"] = column
            return


def row_number_columns(cells: list[object]) -> frozenset[int]:
    """The row-number columns ("STT", "No.", "#") of a header row: where a total's label sits."""
    return frozenset(i for i, raw in enumerate(cells) if isinstance(raw, str) and _ROW_NUMBER.fullmatch(raw))


def is_header(mapping: dict[str, int]) -> bool:
    return "date" in mapping and ("credit" in mapping or "amount" in mapping)


def completes_header(top: list[object], below: list[object]) -> bool:
    """Whether `below` is the second line of a two-row header starting with `top` (merged
    `Số tiền` over `Nợ | Có`): words only, at least one naming a field, not a header itself."""
    words = [(i, c) for i, c in enumerate(below) if c is not None and str(c).strip()]
    if not words or sum(1 for c in top if c is not None and str(c).strip()) < 2:
        return False
    for _, cell in words:
        if not isinstance(cell, str) or any(ch.isdigit() for ch in cell):
            return False
    named = [c for _, c in words if normalise_header(c) in EXACT or _field_of(normalise_header(c))]
    return bool(named) and not is_header(map_header(below))


def combine_header(top: list[object], below: list[object]) -> list[str]:
    """The two header rows as one: a sub-column under a merged cell takes the merged label
    (`Số tiền` + `Có` -> `Số tiền Có`); a sub-column that is one word (`Nợ`, `Dr`) is that word."""
    width = max(len(top), len(below))
    combined: list[str] = []
    label = ""
    for i in range(width):
        upper = str(top[i]).strip() if i < len(top) and top[i] is not None else ""
        lower = str(below[i]).strip() if i < len(below) and below[i] is not None else ""
        if upper:
            label = upper
        elif not lower:
            label = ""
        merged_label = upper or label
        if lower and normalise_header(lower) in EXACT:
            combined.append(lower)
        else:
            combined.append(" ".join(filter(None, [merged_label, lower])))
    return combined


# A status column's words for a transfer that did not go through (failed, refused, cancelled) or not yet
# (pending): no transaction, as camt.053 keeps only booked entries (`Sts` BOOK). Any other status is a line.
NOT_BOOKED = ("that bai", "khong thanh cong", "loi", "tu choi", "huy", "dang xu ly", "cho xu ly", "cho duyet",
              "cho hach toan", "chua hach toan", "failed", "failure", "fail", "error", "rejected", "declined", "cancelled", "canceled", "pending",
              "processing")


def not_booked(status: object) -> bool:
    """`Thất bại`, `Không thành công`, `Đang xử lý`, `Failed`, `Pending`: a transfer that moved no money."""
    plain = normalise_header(status)
    return any(_has_phrase(plain, phrase) for phrase in NOT_BOOKED)


def direction_of(marker: object) -> str | None:
    """`C`, `Ghi có`, `D/Debit`, `Chi`, `OUT`... -> credit | debit; None when not recognised."""
    raw = str(marker).strip()
    if raw in ("+", "-"):
        return DIRECTION_MARKERS[raw]
    text = normalise_header(raw)
    found = DIRECTION_MARKERS.get(text)
    if found is None:
        sides = {_MARKER_TOKENS.get(token) for token in text.split()}
        found = sides.pop() if len(sides) == 1 else None
    return found


# What a dated total row writes in its memo (without diacritics): a sum of the day or the period, or
# a balance; never a word a bank fee or a transfer begins with ("Tổng phí…" is a fee, not a total).
TOTAL_PHRASES = ("tong cong", "tong phat sinh", "cong phat sinh", "cong ngay", "cong trong ngay", "cong luy ke",
                 "so du dau", "so du cuoi", "total", "subtotal", "sub total", "grand total", "opening balance",
                 "closing balance",
                 # The sums as banks also word them: "Tổng số tiền", "Tổng ghi có", "Tổng giao dịch", "Doanh số
                 # phát sinh" (turnover), "Cộng số phát sinh", "Phát sinh trong kỳ", "Lũy kế" (running total).
                 "tong so", "tong ghi", "tong giao dich", "tong doanh so", "doanh so", "cong so phat sinh",
                 "phat sinh trong ky", "luy ke")


# Payers whose names begin like a total: "Tổng công ty …" (a corporation) is "tong cong ty".
NOT_TOTALS = ("tong cong ty",)


def is_total_label(cell: str) -> bool:
    """`Cộng phát sinh trong ngày`, `Tổng cộng`, `Số dư cuối kỳ`, `Total`: a memo that names a total."""
    plain = normalise_header(cell)
    if any(plain == p or plain.startswith(p + " ") for p in NOT_TOTALS):
        return False
    return any(plain == p or plain.startswith(p + " ") for p in TOTAL_PHRASES)


# What a dated total row's memo is, whole (without diacritics), in a table with no reference column to
# tell a transfer from a total: there only the whole memo says so ("Tổng cộng 2 hồ sơ…" is a transfer).
TOTAL_MEMOS = frozenset(TOTAL_PHRASES) | {
    "tong", "cong", "sum", "tong so", "cong phat sinh trong ngay", "tong phat sinh trong ngay",
    "cong phat sinh trong ky", "tong phat sinh trong ky", "tong cong phat sinh", "so du dau ky", "so du cuoi ky",
    "so du dau ngay", "so du cuoi ngay", "ending balance", "beginning balance", "tong so tien", "tong ghi co",
    "tong ghi no", "tong so phat sinh", "doanh so phat sinh", "tong doanh so", "phat sinh trong ky"}


# A one-word memo without diacritics that is as much a name as a total: `TONG` (Tống), `CONG` (Công), as a
# bank's tone-stripped memo of a citizen's transfer writes them. Read as a line: a transfer dropped as a
# total would go unseen (a day's first or last row leaves no trace in its balance check).
NAME_LIKE_MEMOS = frozenset({"tong", "cong"})


# Total memos whose money is no sum of the table's lines: a balance, or a running total since before the file
# began (`Cộng lũy kế`). The lines above cannot prove them (`tabular._Sums`): their label whole does.
UNSUMMED_TOTAL_MEMOS = frozenset(m for m in TOTAL_MEMOS if m.startswith(("so du ", "cong luy ke", "luy ke"))
                                 or m.endswith(" balance"))


def is_unsummed_total_memo(cell: str) -> bool:
    """`Số dư cuối kỳ`, `Opening balance`, `Cộng lũy kế`: a total's label whole (`is_total_memo`) that
    names a balance or a running total, money no lines of the file add up to."""
    return normalise_header(cell) in UNSUMMED_TOTAL_MEMOS and is_total_memo(cell)


def is_total_memo(cell: str) -> bool:
    """A memo that is a total's label and nothing else (`Tổng cộng`, `Cộng:`, `TONG CONG`, `Sub total`),
    its Vietnamese words with their diacritics when it has any: "Công" (a name) is not "Cộng", and
    without any, one word that is also a name (`NAME_LIKE_MEMOS`) is no total."""
    plain = normalise_header(cell)
    if plain not in TOTAL_MEMOS:
        return False
    return plain not in NAME_LIKE_MEMOS if cell.isascii() else is_label(cell)


def is_label(cell: object) -> bool:
    """A cell that labels, totals or signs (`Tổng cộng`, `Trang 1/2`, `Hà Nội, ngày ...`)."""
    if not isinstance(cell, str):
        return False
    text = cell.strip()
    if not text[:1].isalpha():
        return False
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)  # Windows-1258 writes tones as combining marks
    lowered = text.lower()
    if lowered.startswith(LABEL_WORDS) and _word_ends(lowered, LABEL_WORDS):
        return True
    if _LABEL_PATTERN.match(text):
        return True
    if all(ch.isascii() for ch in text if ch.isalpha()):  # no diacritics: compare the plain words
        plain = normalise_header(text)
        return any(plain == p or plain.startswith(p + " ") for p in LABEL_PHRASES)
    return False


# What signs a statement off under its table: who made and approved it, when it was printed (normalised).
SIGN_OFF_PHRASES = ("nguoi lap", "lap bieu", "ke toan", "giam doc", "thu quy", "kiem soat", "truong phong",
                    "chu ky", "ky ten", "ky ho ten", "xac nhan", "ngay in", "prepared by", "approved by", "checked by",
                    "print date", "printed by", "printed on", "signature")


def is_sign_off(cell: str) -> bool:
    """`Người lập biểu`, `Kế toán trưởng`, `Ngày in: …`, `Hà Nội, ngày …`, `Trang 1/2`, `(Ký, họ tên)`: the
    statement's sign-off or page mark, never a payer's words."""
    if _LABEL_PATTERN.match(cell.strip()):
        return True
    plain = normalise_header(cell)
    return any(plain == p or plain.startswith(p + " ") for p in SIGN_OFF_PHRASES)


def _word_ends(text: str, words: tuple[str, ...]) -> bool:
    return any(text.startswith(w) and (len(text) == len(w) or not text[len(w)].isalnum()) for w in words)


def pick_profile(cells: list[object], wanted: str | None = None, preamble: list[str] = ()) -> Profile:
    """The named profile; else the one bank the lines above the table name ("Ngân hàng TMCP Ngoại
    thương Việt Nam"); else the profile whose markers the header holds most often, as whole
    phrases of its cells (a shared word such as "Số tham chiếu" must not outvote a bank's own
    layout); a tie is the generic profile."""
    if wanted:
        return profile_named(wanted)
    named = {p for p in PROFILES for text in preamble if any(_has_phrase(text, n) for n in p.names)}
    if len(named) == 1:
        return named.pop()
    header = [normalise_header(c) for c in cells]
    hits = {p: sum(1 for m in p.markers for cell in header if _has_phrase(cell, m)) for p in PROFILES}
    best = max(hits.values())
    leaders = [p for p, n in hits.items() if n == best]
    return leaders[0] if best and len(leaders) == 1 else PROFILES[-1]


def profile_named(name: str) -> Profile:
    return next(p for p in PROFILES if p.name == name)


def date_and_reference(profile: Profile, cell: object) -> tuple[str, str] | None:
    """(date, document number) of a date cell that holds both (`24/11/2026\\n5001.12345`) in the
    bank's layout; None for any other cell."""
    if profile.dated_reference is None or not isinstance(cell, str):
        return None
    match = profile.dated_reference.fullmatch(cell)
    return (match["date"], match["ref"]) if match else None


def starts_with_label(cell: object, labels: tuple[str, ...]) -> bool:
    text = normalise_header(cell)
    return bool(text) and any(text == label or text.startswith(label + " ") for label in labels)


def is_summary_sheet(title: object) -> bool:
    """A workbook's summary sheet ("Tổng hợp", "Summary"): totals per day, not transactions."""
    return starts_with_label(title, SUMMARY_SHEETS)


def is_cover_sheet(title: object) -> bool:
    """A workbook's cover sheet ("Bìa", "Trang bìa", "Cover", "Thông tin chung")."""
    return starts_with_label(title, COVER_SHEETS)


def label_in(cell: object, labels: tuple[str, ...]) -> bool:
    text = normalise_header(cell)
    return bool(text) and any(_has_phrase(text, label) for label in labels)
