"""SQL fragments shared by the loaders' set-based checks.

Every cast is guarded by a CASE (SQL does not promise to evaluate AND left to right), so a bad
value becomes a problem code, never an error that stops the statement.
"""


def _int(expr: str, start: int, length: int) -> str:
    return f"substr({expr}, {start}, {length})::int"


def real_date(col: str) -> str:
    """True when col is a real YYYY-MM-DD date (leap years included), false otherwise."""
    y, m, d = _int(col, 1, 4), _int(col, 6, 2), _int(col, 9, 2)
    days = (f"CASE WHEN {m} = 2 THEN CASE WHEN (mod({y}, 4) = 0 AND mod({y}, 100) <> 0) OR mod({y}, 400) = 0 "
            "THEN 29 ELSE 28 END "
            f"WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END")
    return (f"CASE WHEN {col} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN "
            f"CASE WHEN {m} BETWEEN 1 AND 12 AND {y} >= 1 THEN {d} BETWEEN 1 AND {days} ELSE false END "
            f"ELSE false END")


def as_date(col: str, ok: str) -> str:
    return f"CASE WHEN {ok} THEN {col}::date END"


def split_list(col: str, *, upper: bool = True) -> str:
    """'a; b;;c' -> {A,B,C}: the pieces of a `;`-separated list, trimmed (and in upper case), empty
    ones and repeats dropped, in their order."""
    piece = "upper(btrim(x))" if upper else "btrim(x)"
    return (f"CASE WHEN btrim({col}) = '' THEN '{{}}'::text[] ELSE "
            f"ARRAY(SELECT p FROM (SELECT {piece} AS p, min(n) AS n "
            f"FROM unnest(string_to_array({col}, ';')) WITH ORDINALITY AS t(x, n) "
            f"WHERE btrim(x) <> '' GROUP BY {piece}) q ORDER BY n) END")


def problems(*cases: str) -> str:
    """array_remove(ARRAY[case, ...], NULL): the problem codes of a row."""
    return "array_remove(ARRAY[" + ",\n".join(cases) + "]::text[], NULL)"
