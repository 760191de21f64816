"""Demo data for `make run`: one token per role and a few real-looking dossiers.

Demo tokens are derived from HCCPAY_SECRET_KEY so that seeding twice prints the same
tokens; this runs only in demo mode, where that key is the public demo value.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from kernel.auth import ROLES, TOKEN_PREFIX, ApiToken, hash_token
from kernel.users import User, create_user
from payments import states
from payments.service import create_dossier, renew_payment_request
from payments.validation import parse_dossier

DEMO_DOSSIERS = [
    {
        "code": "000.00.12.H40-261125-0001",
        "procedure_code": "1.004227",
        "procedure_name": "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "agency_code": "H40.22",
        "applicant": {"name": "Nguyễn Văn An", "phone": "0912345678", "id_number": "022088001234"},
        "fees": [
            {"name": "Lệ phí cấp Giấy chứng nhận", "kind": "charge", "amount_vnd": 100000},
            {"name": "Phí thẩm định hồ sơ", "kind": "fee", "amount_vnd": 250000},
        ],
    },
    {
        "code": "000.00.12.H40-261125-0002",
        "procedure_code": "1.001612",
        "procedure_name": "Cấp bản sao trích lục khai sinh",
        "agency_code": "H40.22",
        "applicant": {"name": "Trần Thị Bích Ngọc", "phone": "0987654321"},
        "fees": [{"name": "Phí cấp bản sao trích lục", "kind": "fee", "amount_vnd": 8000}],
    },
    {
        "code": "000.00.12.H40-261125-0003",
        "procedure_code": "2.002155",
        "procedure_name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "agency_code": "H40.22",
        "applicant": {"name": "Đặng Quốc Hùng", "phone": "0356789012", "email": "hung.dq@example.vn"},
        "fees": [{"name": "Lệ phí cấp giấy phép xây dựng", "kind": "charge", "amount_vnd": 75000}],
    },
]


DEMO_ROUTES = [  # two postmen's rounds in Hạ Long (Quảng Ninh)
    {"code": "HL-1", "name": "Hồng Gai - Hạ Long - Bãi Cháy", "ward_codes": ["06685", "06688", "06673"],
     "capacity": {"morning": 20, "afternoon": 15}},
    {"code": "HL-2", "name": "Hà Tu - Hà Lầm - Cao Xanh - Việt Hưng", "ward_codes": ["06652", "06676", "06658", "06661"],
     "capacity": {"morning": 15, "afternoon": 10}},
]


DEMO_PASSWORD = "demo-password-2026"
DEMO_USERS = [  # (username, full name, roles)
    ("motcua", "Nguyễn Thị Mai (một cửa)", ["intake"]),
    ("thungan", "Trần Văn Bình (thu ngân)", ["cashier"]),
    ("ketoan", "Lê Thị Lan (kế toán)", ["finance"]),
    ("pheduyet", "Phạm Quốc Khánh (phê duyệt)", ["approver"]),
    ("buudien", "Hoàng Văn Nam (bưu điện)", ["postal"]),
    ("kiemtoan", "Đỗ Thu Trang (kiểm toán)", ["auditor"]),
    ("quantri", "Vũ Minh Đức (quản trị)", ["admin"]),
]


# The demo tokens' names, as a receipt ("Thu ngân: ...") or a page ("Người nhập: ...") shows them.
DEMO_TOKEN_NAMES = {"intake": "Hệ thống một cửa (demo)", "cashier": "Quầy thu ngân (demo)",
                    "finance": "Kế toán (demo)", "approver": "Lãnh đạo phê duyệt (demo)",
                    "postal": "Bưu điện (demo)", "auditor": "Kiểm toán (demo)", "admin": "Quản trị (demo)"}


@dataclass
class SeedResult:
    tokens: dict[str, str] = field(default_factory=dict)
    pay_urls: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # payment code -> its request's status
    users: list[str] = field(default_factory=list)


def demo_token(settings: Settings, role: str) -> str:
    key = settings.secret("HCCPAY_SECRET_KEY").encode()
    return TOKEN_PREFIX + "demo_" + role + "_" + hmac.new(key, role.encode(), hashlib.sha256).hexdigest()[:24]


def seed(session: Session, *, settings: Settings, now: datetime) -> SeedResult:
    """Create (or find) the demo tokens and dossiers."""
    result = SeedResult()
    for role in ROLES:
        raw = demo_token(settings, role)
        digest = hash_token(raw)
        token = session.execute(select(ApiToken).where(ApiToken.token_hash == digest)).scalar_one_or_none()
        if token is None:
            session.add(ApiToken(name=DEMO_TOKEN_NAMES[role], role=role, token_hash=digest,
                                 display_prefix=raw[:10], created_at=now, revoked_at=None))
        elif token.name == f"demo {role}":  # seeded by an earlier version, in English
            token.name = DEMO_TOKEN_NAMES[role]
        result.tokens[role] = raw
    session.flush()
    for username, full_name, roles in DEMO_USERS:
        if session.execute(select(User.id).where(User.username == username)).first() is None:
            create_user(session, username=username, full_name=full_name, roles=roles, password=DEMO_PASSWORD, now=now)
        result.users.append(f"{username} ({', '.join(roles)})")
    for body in DEMO_DOSSIERS:
        _, request, _ = create_dossier(session, data=parse_dossier(body), settings=settings,
                                       actor="system:demo", now=now)
        if request.status in (states.EXPIRED, states.CANCELLED):  # seeded on an earlier day
            request = renew_payment_request(session, dossier_code=body["code"], settings=settings,
                                            actor="system:demo", now=now)
        result.pay_urls[request.payment_code] = f"{settings.public_url}/pay/{request.payment_code}"
        result.statuses[request.payment_code] = request.status
    _seed_routes(session, settings=settings, now=now)
    _seed_shipments(session, settings=settings, now=now)
    return result


DEMO_SHIPMENTS = [  # pickups of dossiers from citizens' homes, for the postal board
    {"dossier_code": "000.00.12.H40-261125-0002", "direction": "pickup",
     "recipient": {"name": "Trần Thị Bích Ngọc", "phone": "0987654321"},
     "address": {"street": "Số 25 phố Lê Thánh Tông", "ward_code": "06685", "province_code": 22},
     "documents": [{"name": "Tờ khai đề nghị cấp bản sao trích lục", "original": True}]},
    {"dossier_code": "000.00.12.H40-261125-0003", "direction": "pickup",
     "recipient": {"name": "Đặng Quốc Hùng", "phone": "0356789012"},
     "address": {"street": "Tổ 3, khu 5", "ward_code": "06652", "province_code": 22},
     "documents": [{"name": "Đơn đề nghị cấp giấy phép xây dựng", "original": True},
                   {"name": "Bản vẽ thiết kế", "original": False, "copies": 2}]},
]


def _seed_shipments(session: Session, *, settings: Settings, now: datetime) -> None:
    from postal.service import create_shipment
    from postal.validation import parse_shipment

    for body in DEMO_SHIPMENTS:
        create_shipment(session, data=parse_shipment(body, now=now, holidays=settings.holidays),
                        settings=settings, actor="system:demo", now=now)


def _seed_routes(session: Session, *, settings: Settings, now: datetime) -> None:
    from postal.models import Route
    from postal.scheduling import create_route, parse_route

    for body in DEMO_ROUTES:
        if session.execute(select(Route.id).where(Route.code == body["code"])).first() is None:
            create_route(session, code=body["code"], actor="system:demo", now=now,
                         values=parse_route(body, province_code=settings.postal_province_code))
