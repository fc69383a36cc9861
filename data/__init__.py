"""data layer of AssetMatch."""
