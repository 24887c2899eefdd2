"""Tree-structured Parzen estimator: a multivariate TPE over the unit cube."""
