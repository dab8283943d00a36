"""`mcv compare`: reported vs reproduced, under a tolerance policy, into a report."""
