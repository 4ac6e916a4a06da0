_rlm_completion() {
    local IFS=$'\n'
    local line="${COMP_LINE:0:COMP_POINT}"
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _RLM_COMPLETE_LINE="$line" \
                   _RLM_COMPLETE=complete_bash $1 ) )
    local cur="${line##*[[:space:]]}"
    if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
        local prefix="${cur%"${cur##*:}"}" i
        for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]="${COMPREPLY[i]#"$prefix"}"; done
    fi
    return 0
}

complete -o default -F _rlm_completion rlm
