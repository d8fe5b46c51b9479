from django import forms

from x12.encoding import decode_x12

MAX_BYTES = 20 * 1024 * 1024


class EraUploadForm(forms.Form):
    file = forms.FileField(label="835 file", help_text="An ERA (X12 835) from your payer or "
                           "clearinghouse portal. It is stored first, then checked and posted.")

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        # What the file is comes from its content, never its name or the browser's type: text
        # that opens with an X12 interchange header. Nothing is stored for anything else.
        # UTF-8, else read byte by byte as cp1252: payers send one Latin-1 letter in a name
        # often enough, and a whole ERA must not be refused for it (x12.encoding)
        text, _warnings = decode_x12(f.read())
        if "\x00" in text and not text.lstrip().startswith("ISA"):
            raise forms.ValidationError("The file is not text (X12 files are plain text).")
        if "\x00" in text or not text.lstrip().startswith("ISA"):
            raise forms.ValidationError("This is not an X12 file: an 835 starts with an ISA "
                                        "header.")
        return text
