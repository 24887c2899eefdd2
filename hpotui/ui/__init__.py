"""The Textual dashboard. The only package of hpotui that imports Textual."""
