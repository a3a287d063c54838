"""aftersales: after-sales customer service for e-commerce."""
