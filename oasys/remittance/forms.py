from django import forms

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
        try:
            text = f.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not text (X12 files are plain text).") \
                from exc
        if "\x00" in text or not text.lstrip().startswith("ISA"):
            raise forms.ValidationError("This is not an X12 file: an 835 starts with an ISA "
                                        "header.")
        return text
