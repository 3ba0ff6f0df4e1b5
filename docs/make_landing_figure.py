"""Redraw _static/mnist_reconstructions.png, the image on the documentation's landing page.

The image is the last figure of the gallery example ``examples/plot_mnist_filters.py``: real
MNIST test digits, clean and with half their pixels masked, above their reconstructions by a
denoising autoencoder. This script runs that example as it is (same data, seeds and model) and
saves its last figure, so the landing page and the example always show the same picture. Run it
from the root of a clone after changing that figure (about a minute on two cores)::

    python docs/make_landing_figure.py

The PNG is written at twice matplotlib's default resolution, for high-density screens, and
stored with a palette of 64 grey levels, which keeps it small in the repository.
"""

import runpy
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image  # Pillow is installed with matplotlib

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "plot_mnist_filters.py"
OUTPUT = HERE / "_static" / "mnist_reconstructions.png"


def main():
    # Draw off screen, whatever backend the environment would choose.
    plt.switch_backend("Agg")
    with warnings.catch_warnings():
        # plt.show() in the example has nothing to show on the Agg backend, and says so.
        warnings.filterwarnings("ignore", message=".*non-interactive.*")
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    figure = plt.figure(plt.get_fignums()[-1])
    figure.savefig(OUTPUT, dpi=200)
    image = Image.open(OUTPUT).convert("L").quantize(colors=64)
    image.save(OUTPUT, optimize=True)
    print(
        f"wrote {OUTPUT} ({image.width}x{image.height} px, {OUTPUT.stat().st_size:,} bytes)"
    )


if __name__ == "__main__":
    main()
