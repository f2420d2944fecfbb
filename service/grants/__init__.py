"""Grants, the PCC's side: awards from a fund's committed allocation, paid in stages against
conditions, recoveries of underspend, and the 360Giving open-data export."""
