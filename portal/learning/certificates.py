"""Certificates as PDF (fpdf2)."""

from __future__ import annotations

from fpdf import FPDF

from portal.build.french import long_date

from .models import Certificate

_REPLACE = {"œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "“": '"', "”": '"', "\u202f": " ",
            "—": "-", "–": "-", "…": "...", "€": "EUR"}


def _latin1(text: str) -> str:
    for bad, good in _REPLACE.items():
        text = text.replace(bad, good)
    return text.encode("latin-1", "replace").decode("latin-1")


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(_latin1(f"Certificat - {certificate.path_title}"))
    pdf.set_author("Communauté de pratique PMO")
    pdf.add_page()
    pdf.set_draw_color(63, 81, 181)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, 277, 190)
    pdf.set_font("Helvetica", "B", 30)
    pdf.set_text_color(63, 81, 181)
    pdf.set_y(40)
    pdf.cell(0, 14, _latin1("Certificat de réussite"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(30, 30, 30)
    pdf.set_font("Helvetica", "", 14)
    pdf.ln(8)
    pdf.cell(0, 10, _latin1("La communauté de pratique PMO atteste que"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 16, _latin1(certificate.learner_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 14)
    pdf.cell(0, 10, _latin1("a suivi avec succès le"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, _latin1(certificate.path_title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 13)
    pdf.ln(4)
    issued = long_date(certificate.issued_at.date()).replace("\u00a0", " ")
    pdf.cell(0, 10, _latin1(f"le {issued}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(165)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, _latin1(f"Code de vérification : {certificate.code}"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, _latin1(f"Vérifiez ce certificat sur {verify_url}"), align="C")
    return bytes(pdf.output())
