"""Realistic, deterministic demo data: names, identity numbers, employers.

Used by seed_demo, the fake agency extract (make_fake_extract), the benchmarks and tests.
Nothing here touches the database.
"""

import random
from collections.abc import Iterator
from datetime import date, timedelta

from .identity import with_id_check_character, with_uscc_check_character

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建华文斌鹏辉宇浩晨欣怡子涵梓轩雨桐思远嘉懿博文一诺若汐俊杰晓东丹丹海燕志强国庆建国红梅春花秋菊冬梅"
# County codes of a few real districts (Jiangsu, Beijing, Shanghai, Guangdong, Sichuan).
COUNTIES = ["320102", "320106", "320911", "321002", "110105", "110108", "310104", "310115", "440106", "510107"]
EMPLOYER_WORDS = ["华信", "恒通", "金陵", "长江", "新元", "东方", "瑞丰", "博远", "安康", "泰和", "宏图", "凯达"]
EMPLOYER_KINDS = ["科技有限公司", "建设集团有限公司", "商贸有限公司", "医药有限公司", "物流有限公司", "食品有限公司"]


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def id_number(rng: random.Random, birth: date, gender: str, seq: int | None = None) -> str:
    order = seq if seq is not None else rng.randrange(0, 500)
    third = (order % 500) * 2 + (1 if gender == "1" else 0)  # 3-digit order code: odd for men
    stem = f"{rng.choice(COUNTIES)}{birth:%Y%m%d}{third:03d}"
    return with_id_check_character(stem)


def uscc(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    stem = "91" + rng.choice(COUNTIES) + "".join(rng.choice(alphabet) for _ in range(9))
    return with_uscc_check_character(stem)


def employers(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        code = uscc(rng)
        if code in seen:
            continue
        seen.add(code)
        name = f"示范市{rng.choice(EMPLOYER_WORDS)}{rng.choice(EMPLOYER_WORDS)}{rng.choice(EMPLOYER_KINDS)}"
        out.append({"uscc": code, "name": name, "address": f"示范市{rng.randint(1, 300)}号",
                    "contact_name": person_name(rng), "contact_phone": f"025-{rng.randint(10000000, 99999999)}"})
    return out


def _birthday(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February
        return birth.replace(year=birth.year + years, day=28)


def people(n: int, employer_codes: list[str], seed: int = 11, today: date | None = None) -> Iterator[dict]:
    """n persons with unique identity numbers, as register rows (the extract's columns)."""
    rng = random.Random(seed)
    today = today or date(2026, 11, 1)
    seen: set[str] = set()
    while len(seen) < n:
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 80))
        gender = rng.choice("12")
        number = id_number(rng, birth, gender)
        if number in seen:
            continue
        seen.add(number)
        emp = employer_codes and rng.random() < 0.6
        status = rng.choices(["ACTIVE", "SUSPENDED", "TERMINATED"], weights=[90, 6, 4])[0]
        status_date = max(birth + timedelta(days=1), date(2000, 1, 1) + timedelta(days=rng.randrange(0, 9400)))
        paid = today.replace(day=1) - timedelta(days=rng.choice([1, 1, 1, 40, 400]))
        name = person_name(rng)
        employer = rng.choice(employer_codes) if emp else ""
        # Only an adult works for an employer, from the age of 18 (the random draws stay as they were,
        # so the same seed gives the same persons).
        adult_on = _birthday(birth, 18)
        if emp and adult_on > today:
            emp, employer = False, ""
        if emp:
            status_date = max(status_date, adult_on)
        status_date = min(status_date, today)
        yield {
            "id_number": number, "name": name, "gender": gender, "birth_date": birth,
            "insurance_type": "EMP" if emp else "RES",
            "employer_code": employer,
            "status": status, "status_date": status_date, "paid_through": paid.replace(day=1),
        }
