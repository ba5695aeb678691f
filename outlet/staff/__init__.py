"""Staff access (an app labelled "staff"): the admin behind a two-factor sign-in, a staff account's first
enrolment, and the roles kept in code."""
