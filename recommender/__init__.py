"""recommender layer of AssetMatch."""
