"""The FY2025 KGI figures of the plan and the results the achievement rules give for them."""

import io

from django.core.management import call_command

# FY2025 figures for the 6 KGIs and what domain.md's rules give for them (worked by hand).
KGI_FIGURES_2025 = '指標コード,年度,実績値\r\nG1-KGI1,2025,"279,000"\r\nG2-KGI1,2025,＋400\r\nG2-KGI2,2025,3200\r\nG3-KGI1,2025,8000\r\nG3-KGI2,2025,1.6\r\nG4-KGI1,2025,60\r\n'
KGI_RESULTS_2025 = {
    # code: (expected, actual, rate, grade)
    "G1-KGI1": ("280021.33", "279000", "99.6", "B+"),
    "G2-KGI1": ("491.67", "400", "81.4", "B+"),
    "G2-KGI2": ("3171.67", "3200", "100.9", "A"),
    "G3-KGI1": ("8424.33", "8000", "95.0", "B+"),
    "G3-KGI2": ("3.27", "1.6", "48.9", "C"),
    "G4-KGI1": ("87.03", "60", "68.9", "B"),
}


def import_kgi_figures(tmp_path, *args):
    path = tmp_path / "kgi2025.csv"
    path.write_text(KGI_FIGURES_2025, encoding="cp932")
    call_command("import_actuals", str(path), *args, stdout=io.StringIO())
