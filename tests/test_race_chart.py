"""The race chart component's Python side (its JavaScript is tested in a browser, test_e2e)."""

import hashlib
from pathlib import Path

import plotly

from ui import race_chart


def test_frontend_folder_has_the_page_and_plotly_from_the_python_package():
    folder = race_chart._frontend_dir()
    html = (folder / "index.html").read_bytes()
    assert html == (Path(race_chart.__file__).parent / "index.html").read_bytes()
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    served = folder / "plotly.min.js"
    assert hashlib.sha256(served.read_bytes()).digest() == \
        hashlib.sha256(bundled.read_bytes()).digest()
    assert race_chart._frontend_dir() == folder  # same contents, same folder: no re-copy


def test_the_page_loads_plotly_from_its_own_folder_only():
    html = (Path(race_chart.__file__).parent / "index.html").read_text()
    # No CDN: the app works offline and in a lecture hall without internet.
    assert '<script src="plotly.min.js"></script>' in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_frontend_folder_is_restored_when_its_files_disappear():
    import shutil

    folder = race_chart._frontend_dir()
    shutil.rmtree(folder)
    assert race_chart._frontend_dir() == folder
    assert (folder / "plotly.min.js").stat().st_size > 1_000_000
    assert (folder / "index.html").exists()
