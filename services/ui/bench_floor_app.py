"""The floor of `enlace bench --browser`: two trivial pages behind st.navigation, served by
the project's own Streamlit and clicked the same way as the app's pages. A page's time
divided by this floor's, measured in the same run, holds on a noisy machine where an
absolute time does not.

Served as a script: `python -m streamlit run services/ui/bench_floor_app.py`.
Its strings are never shown to the app's users, so they are not translated.
"""

import streamlit as st


def one() -> None:
    st.title("One")
    st.write("A trivial page.")


def two() -> None:
    st.title("Two")
    st.write("Another trivial page.")


if __name__ == "__main__":
    st.navigation([st.Page(one, title="One"), st.Page(two, title="Two")]).run()
