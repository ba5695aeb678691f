"""(Filled in next.)"""
