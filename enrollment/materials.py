"""The catalogue of materials an applicant may be asked to bring, the notice's reply time and the
reasons a reviewer may give for a rejection. Plain data, read by the services, pages and letters.
Which materials each kind needs, and its time limit, are in the kind's declaration (enrollment.kinds).

A material's code is stored on each case's checklist (enrollment.Material.code); change a label
or what-to-bring text freely, but never reuse a code for a different document.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .kinds import spec_for


@dataclass(frozen=True)
class MaterialSpec:
    code: str
    label: Promise
    what_to_bring: Promise


MATERIALS = {m.code: m for m in [
    MaterialSpec("employer_form", _("Employer registration form (参保单位登记表)"),
                 _("The registration form, filled in and stamped with the employer's official seal.")),
    MaterialSpec("business_licence", _("Business licence (营业执照)"),
                 _("A copy of the business licence stamped with the employer's seal; show the original at the "
                   "window.")),
    MaterialSpec("legal_rep_id", _("Identity card of the legal representative"),
                 _("A copy of both sides of the legal representative's identity card.")),
    MaterialSpec("bank_account", _("Bank account for contributions"),
                 _("The bank account opening permit, or a letter from the bank giving the account name and "
                   "number.")),
    MaterialSpec("staff_roster", _("Staff list (增员花名册)"),
                 _("The list of staff to add (identity number, name, phone) as a spreadsheet, and on paper "
                   "stamped with the employer's seal.")),
    MaterialSpec("id_copies", _("Identity card copies"),
                 _("A copy of both sides of each person's identity card.")),
    MaterialSpec("labour_contracts", _("Labour contracts"),
                 _("The labour contract, or another proof of employment, of each person to add.")),
    MaterialSpec("removal_list", _("List of persons to remove (减员名单)"),
                 _("The list of persons to remove with each one's reason and last day, stamped with the "
                   "employer's seal.")),
    MaterialSpec("termination_proof", _("Proof that employment ended"),
                 _("The termination notice, approved resignation, or retirement approval of each person.")),
    MaterialSpec("change_form", _("Change of information form (变更登记表)"),
                 _("The change form, filled in and signed by the insured person.")),
    MaterialSpec("change_evidence", _("Evidence of the change"),
                 _("The document that shows the new information: the household register page for a new name, "
                   "a residence certificate for a new address.")),
    MaterialSpec("applicant_id", _("Applicant's identity card"),
                 _("The original identity card of the insured person, or of an agent with a signed "
                   "authorisation letter.")),
    MaterialSpec("transfer_form", _("Transfer application form (转移接续申请表)"),
                 _("The transfer application form, filled in and signed by the insured person.")),
    MaterialSpec("transfer_certificate", _("Insurance participation certificate (参保凭证)"),
                 _("The basic medical insurance participation certificate issued by the office of the former "
                   "place of insurance.")),
    MaterialSpec("transfer_letter", _("Transfer contact letter (转移接续联系函)"),
                 _("The contact letter issued by the medical insurance office of the new place of insurance.")),
]}

# Working days the one-time notice gives the applicant to bring what is missing.
NOTICE_REPLY_DAYS = 20

# "Due soon" in the clerks' queue: due within this many working days.
DUE_SOON_DAYS = 2

REJECTION_REASONS = {
    "not_genuine": _("The materials are not genuine or not valid"),
    "not_eligible": _("The conditions for registration are not met"),
    "already_registered": _("Already registered: this would be a second enrollment"),
    "information_mismatch": _("The information does not match the identity documents or the register"),
    "transfer_not_confirmed": _("The other office did not confirm the transfer"),
    "other": _("Other (see the explanation)"),
}


def checklist(kind: str) -> list[MaterialSpec]:
    """The materials of the kind's checklist, in its order."""
    return [MATERIALS[code] for code in spec_for(kind).checklist]


def material_label(code: str) -> str:
    spec = MATERIALS.get(code)
    return str(spec.label) if spec else code


def what_to_bring(code: str) -> str:
    spec = MATERIALS.get(code)
    return str(spec.what_to_bring) if spec else ""


def time_limit(kind: str) -> int:
    """The kind's time limit in working days (its declaration's)."""
    return spec_for(kind).time_limit
