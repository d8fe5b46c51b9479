from django import forms

from x12.encoding import decode_x12
from x12.errors import X12Error
from x12.reader import X12Reader

MAX_BYTES = 20 * 1024 * 1024


def _placed_warnings(data: bytes, warnings: list) -> list[dict]:
    """The decoding warnings with their segment number and element: the reader places each
    byte it reads as cp1252/Latin-1 (decode_x12 alone knows only the byte offset). A file the
    reader cannot split keeps the offsets alone."""
    reader = X12Reader(data)
    try:
        for _event in reader.events():
            pass
    except X12Error:
        return [w.to_dict() for w in warnings]
    placed = [w.to_dict() for w in reader.warnings]
    return placed if placed else [w.to_dict() for w in warnings]


class EraUploadForm(forms.Form):
    file = forms.FileField(label="835 file", help_text="An ERA (X12 835) from your payer or "
                           "clearinghouse portal. It is stored first, then checked and posted.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: one dict per byte read with the cp1252/Latin-1 fallback (see x12.encoding)
        self.encoding_warnings: list[dict] = []

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        # What the file is comes from its content, never its name or the browser's type: text
        # that opens with an X12 interchange header. Nothing is stored for anything else.
        # UTF-8, else read byte by byte as cp1252: payers send one Latin-1 letter in a name
        # often enough, and a whole ERA must not be refused for it (x12.encoding)
        data = f.read()
        text, warnings = decode_x12(data)
        if "\x00" in text and not text.lstrip().startswith("ISA"):
            raise forms.ValidationError("The file is not text (X12 files are plain text).")
        if "\x00" in text or not text.lstrip().startswith("ISA"):
            raise forms.ValidationError("This is not an X12 file: an 835 starts with an ISA "
                                        "header.")
        if warnings:
            self.encoding_warnings = _placed_warnings(data, warnings)
        return text
