"""Web pages: the folium/Leaflet coverage map and its offline assets."""
