"""webapi layer of AssetMatch."""
