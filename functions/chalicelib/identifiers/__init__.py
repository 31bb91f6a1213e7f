"""Identifier and jurisdiction rules shared by intake, platforms, the API and the stores.

Pure rules, no I/O: ``products`` (GTIN/EAN/UPC barcodes, KC certificate numbers),
``jurisdictions`` (ISO 3166-1 codes, EU, a notice's default language) and
``participants`` (the ids of regulators and platforms).
"""
