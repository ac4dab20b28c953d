"""A review rule: its place in the spec's table and one INSERT … SELECT over the batch.

The statement selects (batch_id, claim_id, line_id, rule_code, severity, position, amount_at_issue,
explanation, detail) with the parameters %(batch)s, %(code)s, %(severity)s, %(position)s and one
%(<name>)s per explanation template; a template is a PostgreSQL format() string (%1$s, %2$s, …)
translated into the office's language, so the explanation is worded in SQL with the figures in it.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation

from .catalog import BY_CODE, POSITION

SELECT_HEAD = ("SELECT %(batch)s, {claim_id}, {line_id}, %(code)s, %(severity)s, %(position)s, {amount}, "
               "{explanation}, {detail} ")


@dataclass(frozen=True)
class Rule:
    code: str
    sql: str
    texts: dict = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return BY_CODE[self.code].severity

    @property
    def position(self) -> int:
        return POSITION[self.code]

    def params(self, batch_id: int) -> dict:
        with translation.override(settings.LANGUAGE_CODE):
            texts = {name: str(text) for name, text in self.texts.items()}
        return {"batch": batch_id, "code": self.code, "severity": self.severity, "position": self.position, **texts}

    @property
    def statement(self) -> str:
        """The rule's one statement: INSERT … SELECT; for a DEDUCT rule, with the update of what its findings
        take from each line in the review's working set (sql.TAKE_FROM_LINES)."""
        from .sql import INSERT, TAKE_FROM_LINES, WORK

        if self.severity != "DEDUCT":
            return INSERT + self.sql
        return (f"WITH found AS ({INSERT}{self.sql} RETURNING line_id, amount_at_issue, detail) "
                + TAKE_FROM_LINES.format(work=WORK))

    def run(self, cursor, batch_id: int) -> int:
        cursor.execute(self.statement, self.params(batch_id))
        return cursor.rowcount


def head(*, line_id: str = "NULL", amount: str = "0.00", explanation: str, detail: str = "NULL",
         claim_id: str = "c.id") -> str:
    return SELECT_HEAD.format(claim_id=claim_id, line_id=line_id, amount=amount, explanation=explanation,
                              detail=detail)
