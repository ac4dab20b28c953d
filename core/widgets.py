"""Form widgets every app's pages share.

DateInput: a browser's date picker (`<input type="date">`) reads and writes its value as ISO
YYYY-MM-DD whatever the page's language. Django's DateInput formats an initial value with the
active language's first input format (zh-hans: 2026/12/15), which the browser rejects as empty;
this one always writes ISO. What the user sends back is ISO too, and every DateField accepts it.
"""

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or ISO_DATE)
