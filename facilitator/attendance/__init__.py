"""Who was there: the roster, intervals and the register, call reports, gender, analysts' tables."""
