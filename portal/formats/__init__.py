"""Date and number formats of the portal's languages (FORMAT_MODULE_PATH), where Django's differ."""
