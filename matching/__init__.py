"""matching layer of AssetMatch."""
