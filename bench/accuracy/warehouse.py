"""A small clinic warehouse for the accuracy set.

The task benchmark's development warehouse is a clinic too, with doctors, patients and appointments
tables of its own; this one is built here on its own: its tables have other columns (a few key names
such as doctor_id are the same), other values and other row counts.

``build_clinic_warehouse(path)`` writes a fresh DuckDB file with four tables, every value a pure
function of the row number (no randomness), so reference results never change:

- ``clinics`` (5): clinic_id, clinic_name, city; "Harbor Clinic" has no doctors.
- ``doctors`` (24): doctor_id, first_name, last_name, specialty, clinic_id, hired_on, hourly_rate.
- ``patients`` (120): patient_id, full_name, birth_date, city, insurer (NULL for ~1 in 7).
- ``appointments`` (600): keyed by appointment_id; it links a patient_id to a doctor_id and holds the
  appointment_date, a status and the fee. Doctors 23 and 24 have no appointments; some patients never had one.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

CLINICS = [
    (1, "Northside Clinic", "Leeds"),
    (2, "Riverside Health", "York"),
    (3, "Old Town Practice", "Leeds"),
    (4, "Hillview Medical", "Bath"),
    (5, "Harbor Clinic", "Bristol"),
]
_FIRST = ["Ada", "Ben", "Cora", "Dev", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jon", "Kemal", "Lena"]
_LAST = ["Okafor", "Brandt", "Silva", "Moreau", "Kowalski", "Haddad", "Lindqvist", "Rossi"]
SPECIALTIES = ["Cardiology", "Dermatology", "Pediatrics", "Neurology", "Oncology", "General Practice"]
_CITIES = ["Leeds", "York", "Bath", "Bristol", "Hull"]
_INSURERS = ["Medicover", "HealthFirst", "CareShield"]
_STATUSES = ["kept", "kept", "kept", "missed", "cancelled"]


def _doctors() -> list[tuple[object, ...]]:
    rows = []
    for i in range(1, 25):
        rows.append((
            i,
            _FIRST[i % len(_FIRST)],
            _LAST[(i * 5) % len(_LAST)],
            SPECIALTIES[(i * 7) % len(SPECIALTIES)],
            1 + (i % 4),  # clinics 1..4; clinic 5 has none
            dt.date(2010 + i % 15, 1 + i % 12, 1 + (i * 3) % 28),
            round(80 + (i * 37) % 90 + 0.25 * (i % 4), 2),
        ))
    return rows


def _patients() -> list[tuple[object, ...]]:
    rows = []
    for i in range(1, 121):
        rows.append((
            i,
            f"{_FIRST[(i * 5) % len(_FIRST)]} {_LAST[(i * 3) % len(_LAST)]}",
            dt.date(1940 + (i * 7) % 80, 1 + (i * 5) % 12, 1 + (i * 11) % 28),
            _CITIES[(i * 3) % len(_CITIES)],
            None if i % 7 == 0 else _INSURERS[i % len(_INSURERS)],
        ))
    return rows


def _appointments() -> list[tuple[object, ...]]:
    rows = []
    for i in range(1, 601):
        patient = 1 + (i * 13) % 100  # patients 101..120 never had an appointment
        doctor = 1 + (i * 7) % 22  # doctors 23 and 24 have none
        day = dt.date(2024, 1, 1) + dt.timedelta(days=(i * 29) % 900)
        status = _STATUSES[(i * 3) % len(_STATUSES)]
        fee = round(40 + (i * 53) % 260 + (i % 100) / 100, 2)
        rows.append((i, patient, doctor, day, status, fee))
    return rows


def build_clinic_warehouse(path: str | os.PathLike[str]) -> Path:
    """Write the clinic warehouse to ``path`` (replacing any file there) and return the path."""
    import duckdb

    p = Path(path)
    if p.exists():
        p.unlink()
    con = duckdb.connect(str(p))
    try:
        con.execute("CREATE TABLE clinics (clinic_id INTEGER PRIMARY KEY, clinic_name VARCHAR, city VARCHAR)")
        con.execute("CREATE TABLE doctors (doctor_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, "
                    "specialty VARCHAR, clinic_id INTEGER, hired_on DATE, hourly_rate DECIMAL(8,2))")
        con.execute("CREATE TABLE patients (patient_id INTEGER PRIMARY KEY, full_name VARCHAR, birth_date DATE, "
                    "city VARCHAR, insurer VARCHAR)")
        con.execute("CREATE TABLE appointments (appointment_id INTEGER PRIMARY KEY, patient_id INTEGER, "
                    "doctor_id INTEGER, appointment_date DATE, status VARCHAR, fee DECIMAL(8,2))")
        con.executemany("INSERT INTO clinics VALUES (?, ?, ?)", CLINICS)
        con.executemany("INSERT INTO doctors VALUES (?, ?, ?, ?, ?, ?, ?)", _doctors())
        con.executemany("INSERT INTO patients VALUES (?, ?, ?, ?, ?)", _patients())
        con.executemany("INSERT INTO appointments VALUES (?, ?, ?, ?, ?, ?)", _appointments())
    finally:
        con.close()
    return p
