"""profiles layer of AssetMatch."""
