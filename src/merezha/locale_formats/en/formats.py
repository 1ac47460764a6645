"""English pages show figures as Ukrainian ones do (`07.12.2026`, `1 234,56`): the network's
documents are Ukrainian, and a figure reads the same whichever language the menus are in."""

from merezha.locale_formats.uk.formats import *  # noqa: F403
