# The landing page's style sheet, a build piece of the renderer.
#
# The landing page's CSS, compiled in (the sandboxed frontend opens no file)
# with its SHA-256, so a Content-Security-Policy can allow exactly this style
# ('sha256-…') and no other inline style. Hashed here rather than at start-up
# so the frontend needs no hash code and the value is fixed per build.
set(MMX_LANDING_CSS_FILE ${CMAKE_CURRENT_SOURCE_DIR}/landing_page.css)
file(READ ${MMX_LANDING_CSS_FILE} MMX_LANDING_CSS)
# The trailing newline of the file is not part of the served block.
string(STRIP "${MMX_LANDING_CSS}" MMX_LANDING_CSS)
if(MMX_LANDING_CSS MATCHES "\\)mmx_css\"|</")
  message(FATAL_ERROR "landing_page.css must not contain ')mmx_css\"' or '</'")
endif()
string(SHA256 MMX_LANDING_CSS_SHA256 "${MMX_LANDING_CSS}")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/landing_page_style.h.in
               ${CMAKE_CURRENT_BINARY_DIR}/landing_page_style.h @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${MMX_LANDING_CSS_FILE} ${CMAKE_CURRENT_SOURCE_DIR}/landing_page_style.h.in)
