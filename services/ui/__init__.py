"""What only the Streamlit app uses: cached resources and reads (runtime), the web server."""
