# The arrows between the frontend's libraries, checked when the build is
# configured: a link that breaks one stops cmake with the path that breaks it.
#
#   render  -> common, schema, snapshot        (pure: no server, no sandbox)
#   snapshot (the check: limits, normalised view) -> common, schema
#   intake  -> common, schema, snapshot, gzip  (given its renderer, links none)
#   web, sandbox, gzip -> common at most
#   http    -> intake, render, web, gzip
#   core    -> all of them; main() links core
#
# Each library also sees only the headers of what it links (PUBLIC include
# directories), so an #include across a missing arrow fails to compile.

# Every target `target` links, directly or through others, in `out`.
function(mmx_linked_targets target out)
  set(seen)
  set(pending ${target})
  while(pending)
    list(POP_FRONT pending current)
    foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(linked ${current} ${property})
      if(NOT linked)
        continue()
      endif()
      foreach(item IN LISTS linked)
        # A static library's PRIVATE links appear as $<LINK_ONLY:name>.
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
        if(TARGET "${item}" AND NOT "${item}" IN_LIST seen)
          list(APPEND seen ${item})
          list(APPEND pending ${item})
        endif()
      endforeach()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# Fails the configuration if `target` links any of the targets after it.
function(mmx_forbid_links target)
  mmx_linked_targets(${target} linked)
  foreach(forbidden IN LISTS ARGN)
    if("${forbidden}" IN_LIST linked)
      message(FATAL_ERROR "${target} must not link ${forbidden} (frontend/frontend_link_rules.cmake); "
                          "it links: ${linked}")
    endif()
  endforeach()
endfunction()

set(MMX_FRONTEND_LIBRARIES mmx_frontend_core mmx_frontend_http mmx_frontend_intake
    mmx_frontend_render mmx_frontend_sandbox mmx_frontend_web mmx_frontend_gzip
    mmx_frontend_snapshot)
mmx_forbid_links(mmx_frontend_render mmx_frontend_core mmx_frontend_http mmx_frontend_sandbox
                 mmx_frontend_web mmx_frontend_intake mmx_frontend_gzip)
mmx_forbid_links(mmx_frontend_snapshot ${MMX_FRONTEND_LIBRARIES})
mmx_forbid_links(mmx_frontend_intake mmx_frontend_core mmx_frontend_http mmx_frontend_sandbox
                 mmx_frontend_web mmx_frontend_render)
mmx_forbid_links(mmx_frontend_web ${MMX_FRONTEND_LIBRARIES})
mmx_forbid_links(mmx_frontend_sandbox ${MMX_FRONTEND_LIBRARIES})
mmx_forbid_links(mmx_frontend_gzip ${MMX_FRONTEND_LIBRARIES})
mmx_forbid_links(mmx_frontend_http mmx_frontend_core mmx_frontend_sandbox)
